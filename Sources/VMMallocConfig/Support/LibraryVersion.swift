/// The version of this release, as debian/changelog's first line says it (the
/// Makefile reads it there; PackageTests' "one version" compares them), for
/// vmmalloc --version and the reports that name it.
package enum LibraryVersion {
    package static let text: StaticString = "1.1.0"
}
