// Package parallel runs independent pieces of the CLI's work (decoding documents, resolving
// and rendering standards) on every CPU while keeping the input's order in what comes out.
package parallel

import (
	"runtime"

	"golang.org/x/sync/errgroup"
)

// Each calls f(0) ... f(n-1), as many at a time as there are CPUs (GOMAXPROCS), and returns
// when every call has returned.
func Each(n int, f func(i int)) {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range n {
		g.Go(func() error { f(i); return nil })
	}
	_ = g.Wait()
}

// Ordered computes produce(0) ... produce(n-1) side by side, a batch of a few per CPU at a
// time, and hands each result to consume in index order, so that memory holds one batch of
// results whatever n is. It stops at the first error, of produce (in index order) or consume.
func Ordered[T any](n int, produce func(i int) (T, error), consume func(i int, v T) error) error {
	workers := runtime.GOMAXPROCS(0)
	results := make([]T, min(n, 8*workers))
	errs := make([]error, len(results))
	for start := 0; start < n; start += len(results) {
		m := min(len(results), n-start)
		var g errgroup.Group
		g.SetLimit(workers)
		for i := range m {
			g.Go(func() error {
				results[i], errs[i] = produce(start + i)
				return nil
			})
		}
		_ = g.Wait()
		for i := range m {
			if errs[i] != nil {
				return errs[i]
			}
			if err := consume(start+i, results[i]); err != nil {
				return err
			}
			var zero T
			results[i] = zero
		}
	}
	return nil
}
