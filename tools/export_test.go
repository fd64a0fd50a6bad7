package tools

// CatalogueBuilds is how many times this process has built the tools'
// implementations, for the tests of package tools_test.
func CatalogueBuilds() int32 { return catalogueBuilds.Load() }
