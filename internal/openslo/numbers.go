package openslo

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// maxDecimals is the number of fraction digits a Pledge percentage may have.
const maxDecimals = 9

// numberRE bounds the numbers read: big.Rat would expand an exponent such as 1e99999999.
var numberRE = regexp.MustCompile(`^-?[0-9]{1,30}(\.[0-9]{1,30})?([eE][-+]?[0-9]{1,2})?$`)

// rat parses a number as written, exactly.
func rat(n json.Number) (*big.Rat, bool) {
	if !numberRE.MatchString(string(n)) {
		return nil, false
	}
	return new(big.Rat).SetString(string(n))
}

// decimal writes r with at most maxDecimals fraction digits and no trailing zeros; exact
// reports whether that is r itself rather than a rounding of it.
func decimal(r *big.Rat) (s string, exact bool) {
	s = r.FloatString(maxDecimals)
	back, _ := new(big.Rat).SetString(s)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s, back.Cmp(r) == 0
}

// percent turns an OpenSLO target (a share in [0, 1)) or targetPercent into a Pledge Percent:
// exact, and strictly between 0 and 100.
func percent(n json.Number, share bool) (string, error) {
	r, ok := rat(n)
	if !ok {
		return "", fmt.Errorf("%q is not a number", n)
	}
	if share {
		r.Mul(r, big.NewRat(100, 1))
	}
	if r.Sign() <= 0 || r.Cmp(big.NewRat(100, 1)) >= 0 {
		return "", fmt.Errorf("%s%% is not strictly between 0 and 100", r.FloatString(maxDecimals))
	}
	s, exact := decimal(r)
	if !exact {
		return "", fmt.Errorf("%s has more than %d decimals as a percentage", n, maxDecimals)
	}
	return s, nil
}

var (
	shorthandRE = regexp.MustCompile(`^([1-9][0-9]*)([mhdwMQY])$`)
	zeroRE      = regexp.MustCompile(`^0[mhdw]?$`)
)

// shorthand splits an OpenSLO duration-shorthand ("4w", "1M").
func shorthand(s string) (n int64, unit string, ok bool) {
	m := shorthandRE.FindStringSubmatch(s)
	if m == nil {
		return 0, "", false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	return n, m[2], err == nil
}

// fixedDuration converts a shorthand of minutes, hours, days or weeks to a duration; months,
// quarters and years have no fixed length.
func fixedDuration(s string) (time.Duration, error) {
	if zeroRE.MatchString(s) {
		return 0, nil
	}
	n, unit, ok := shorthand(s)
	if !ok {
		return 0, fmt.Errorf("%q is not an OpenSLO duration such as 1h, 28d or 4w", s)
	}
	per := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[unit]
	if per == 0 {
		return 0, fmt.Errorf("%q: months, quarters and years have no fixed length", s)
	}
	if n > int64(100*365*24*time.Hour/per) {
		return 0, fmt.Errorf("%q is too long", s)
	}
	return time.Duration(n) * per, nil
}

// toShorthand writes a duration in the largest OpenSLO unit that divides it exactly (w, d, h,
// m); ok is false for durations that are not whole minutes.
func toShorthand(d time.Duration) (string, bool) {
	if d <= 0 || d%time.Minute != 0 {
		return "", false
	}
	for _, u := range []struct {
		per  time.Duration
		unit string
	}{{7 * 24 * time.Hour, "w"}, {24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}} {
		if d%u.per == 0 {
			return strconv.FormatInt(int64(d/u.per), 10) + u.unit, true
		}
	}
	return "", false
}

// promDuration writes a duration as Prometheus does ("300ms", "4h", "2d12h").
func promDuration(d time.Duration) string { return model.Duration(d).String() }

// parsePromDuration parses a Prometheus duration.
func parsePromDuration(s string) (time.Duration, error) {
	d, err := model.ParseDuration(s)
	return time.Duration(d), err
}

// secondsDuration turns a number of seconds into a duration of whole milliseconds.
func secondsDuration(n json.Number) (time.Duration, error) {
	r, ok := rat(n)
	if !ok || r.Sign() <= 0 {
		return 0, fmt.Errorf("%q is not a positive number of seconds", n)
	}
	ms := new(big.Rat).Mul(r, big.NewRat(1000, 1))
	if !ms.IsInt() || !ms.Num().IsInt64() {
		return 0, fmt.Errorf("%s seconds is not a whole number of milliseconds", n)
	}
	return time.Duration(ms.Num().Int64()) * time.Millisecond, nil
}

// seconds writes a duration as a number of seconds, exactly.
func seconds(d time.Duration) json.Number {
	s, _ := decimal(big.NewRat(int64(d/time.Millisecond), 1000))
	return json.Number(s)
}
