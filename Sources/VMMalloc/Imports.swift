/// The configuration, its messages and the basic platform calls are shared
/// with the launcher in their own module; every file of the library sees them.
@_exported import VMMallocConfig
