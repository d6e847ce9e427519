package openslo

import (
	"encoding/json"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	cases := map[string]struct {
		in    string
		share bool
		want  string
		err   bool
	}{
		"share":               {in: "0.999", share: true, want: "99.9"},
		"share of four nines": {in: "0.9995", share: true, want: "99.95"},
		"percent":             {in: "99.99", want: "99.99"},
		"whole percent":       {in: "95", want: "95"},
		"exponent":            {in: "9.9e-1", share: true, want: "99"},
		"nine decimals":       {in: "99.123456789", want: "99.123456789"},
		"ten decimals":        {in: "99.1234567891", err: true},
		"zero":                {in: "0", share: true, err: true},
		"one":                 {in: "1", share: true, err: true},
		"hundred":             {in: "100", err: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := percent(json.Number(tc.in), tc.share)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("percent(%s, %v) = %q, %v; want %q, error %v", tc.in, tc.share, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{"5m": 5 * time.Minute, "1h": time.Hour, "28d": 28 * 24 * time.Hour, "4w": 28 * 24 * time.Hour, "0m": 0} {
		if got, err := fixedDuration(in); err != nil || got != want {
			t.Errorf("fixedDuration(%s) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"1M", "1Q", "1Y", "1s", "1.5h", "-1h", "h"} {
		if _, err := fixedDuration(in); err == nil {
			t.Errorf("fixedDuration(%s) succeeded", in)
		}
	}
	for d, want := range map[time.Duration]string{14 * 24 * time.Hour: "2w", 30 * 24 * time.Hour: "30d", 36 * time.Hour: "36h", 90 * time.Minute: "90m"} {
		if got, ok := toShorthand(d); !ok || got != want {
			t.Errorf("toShorthand(%v) = %q; want %q", d, got, want)
		}
	}
	for in, want := range map[string]time.Duration{"0.3": 300 * time.Millisecond, "14400": 4 * time.Hour, "0.001": time.Millisecond} {
		if got, err := secondsDuration(json.Number(in)); err != nil || got != want {
			t.Errorf("secondsDuration(%s) = %v, %v; want %v", in, got, err, want)
		}
		if back := seconds(want); string(back) != in {
			t.Errorf("seconds(%v) = %s; want %s", want, back, in)
		}
	}
}

// TestThreshold: a factor computed from a rounded budget share is written as the rate it came
// from, and the written rate imports back to the same share.
func TestThreshold(t *testing.T) {
	window, long := 28*24*time.Hour, time.Hour
	// 14 over 1h of 28d is 2.0833…%, stored as 2.083333333; Resolve's factor from that is 13.99999999776.
	if got := threshold(0.02083333333*672, long, window); got != "14" {
		t.Errorf("threshold = %s; want 14", got)
	}
	if got := threshold(14.4, long, 30*24*time.Hour); got != "14.4" {
		t.Errorf("threshold = %s; want 14.4", got)
	}
}
