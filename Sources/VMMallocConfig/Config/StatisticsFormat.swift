/// The form of the summary at exit (VMMALLOC_LOG_STATS).
package enum StatisticsFormat {
    /// VMMALLOC_LOG_STATS=1: lines for people, with their units.
    case text
    /// VMMALLOC_LOG_STATS=json: one JSON object on one line, every size in bytes.
    case json
}
