/// The version of this release, as the Makefile's VERSION and debian/changelog
/// say it (a test compares them), for the reports that name it.
package enum LibraryVersion {
    package static let text: StaticString = "1.1.0"
}
