package procs

// T is the part of testing.TB these helpers use. *testing.T, *testing.B and Ginkgo's GinkgoT()
// all satisfy it, so the helpers serve plain Go tests and Ginkgo suites alike.
type T interface {
	Cleanup(func())
	Failed() bool
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Helper()
	Logf(format string, args ...any)
	Skipf(format string, args ...any)
	TempDir() string
}
