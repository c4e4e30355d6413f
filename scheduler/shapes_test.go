package scheduler

import (
	"reflect"
	"testing"
)

func TestShapeCache(t *testing.T) {
	var c shapeCache
	for _, s := range []shape{{4000, 8 << 30}, {2000, 16 << 30}, {8000, 1 << 30}, {3000, 8 << 30}} {
		if _, ok := c.covering(s); ok {
			t.Fatalf("add %v: already covered", s)
		}
		c.add(rejection{shape: s})
	}
	var front []shape
	for _, r := range c.front {
		front = append(front, r.shape)
	}
	// {3000, 8GiB} replaced {4000, 8GiB}, which it is smaller than.
	if want := []shape{{2000, 16 << 30}, {3000, 8 << 30}, {8000, 1 << 30}}; !reflect.DeepEqual(front, want) {
		t.Fatalf("front = %v, want %v", front, want)
	}
	tests := []struct {
		need shape
		want bool
	}{
		{shape{3000, 8 << 30}, true},  // the same shape
		{shape{4000, 9 << 30}, true},  // larger in both
		{shape{2000, 16 << 30}, true}, // the same as another
		{shape{9000, 1 << 30}, true},
		{shape{2999, 64 << 30}, true},  // covers {2000, 16GiB}
		{shape{2999, 15 << 30}, false}, // between them
		{shape{1000, 64 << 30}, false}, // less cpu than any
		{shape{64000, 0}, false},       // less memory than any
	}
	for _, tt := range tests {
		if _, got := c.covering(tt.need); got != tt.want {
			t.Errorf("covering(%v) = %v, want %v", tt.need, got, tt.want)
		}
	}
}
