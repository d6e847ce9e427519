package parallel_test

import (
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/pledge-dev/pledge/internal/parallel"
)

func TestEachCallsEveryIndexOnce(t *testing.T) {
	calls := make([]atomic.Int32, 1000)
	parallel.Each(len(calls), func(i int) { calls[i].Add(1) })
	for i := range calls {
		if n := calls[i].Load(); n != 1 {
			t.Fatalf("f(%d) called %d times", i, n)
		}
	}
}

func TestOrderedKeepsOrder(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1000} {
		var got []int
		err := parallel.Ordered(n, func(i int) (int, error) { return i * i, nil }, func(i, v int) error {
			if v != i*i {
				t.Fatalf("consume(%d, %d): want %d", i, v, i*i)
			}
			got = append(got, i)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d: consumed %v", n, got)
		}
	}
}

func TestOrderedStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var consumed []int
	err := parallel.Ordered(100, func(i int) (int, error) {
		if i == 42 || i == 60 {
			return 0, boom
		}
		return i, nil
	}, func(i, _ int) error { consumed = append(consumed, i); return nil })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if len(consumed) != 42 || consumed[41] != 41 {
		t.Fatalf("consumed %d results (last %v): want 0..41, nothing after the failed one", len(consumed), consumed[len(consumed)-1:])
	}
}
