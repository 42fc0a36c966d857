package ansible

import "testing"

func TestParseBool(t *testing.T) {
	for _, v := range []any{true, 1, int64(1), uint64(1), 1.0, "yes", "Yes", "TRUE", "true", "on", "ON", "y", "Y", "t", "1", " yes "} {
		if b, ok := ParseBool(v); !b || !ok {
			t.Errorf("ParseBool(%#v) = %v, %v; want true", v, b, ok)
		}
	}
	for _, v := range []any{false, 0, int64(0), 0.0, "no", "No", "FALSE", "off", "Off", "n", "N", "f", "0", ""} {
		if b, ok := ParseBool(v); b || !ok {
			t.Errorf("ParseBool(%#v) = %v, %v; want false", v, b, ok)
		}
	}
	for _, v := range []any{2, -1, 0.5, "maybe", "yess", nil, []any{true}} {
		if b, ok := ParseBool(v); b || ok {
			t.Errorf("ParseBool(%#v) = %v, %v; want not a boolean", v, b, ok)
		}
		if Truthy(v) {
			t.Errorf("Truthy(%#v) is true", v)
		}
	}
}

func TestParseInt(t *testing.T) {
	for v, want := range map[any]int{3: 3, int64(4): 4, uint64(5): 5, 6.0: 6, " 7 ": 7} {
		if n, ok := ParseInt(v); !ok || n != want {
			t.Errorf("ParseInt(%#v) = %d, %v", v, n, ok)
		}
	}
	for _, v := range []any{2.5, "x", "", nil, true, []any{1}} {
		if _, ok := ParseInt(v); ok {
			t.Errorf("ParseInt(%#v) ok", v)
		}
	}
}
