package store

import (
	"reflect"
	"testing"
)

// TestMutationEmpty: a mutation with any one field set (each is a slice) is
// not empty, nor is what Apply merges from it, so no field is forgotten by
// Empty (the Committer skips empty commits) or by merged.empty (Apply skips
// empty transactions).
func TestMutationEmpty(t *testing.T) {
	if m := (Mutation{}); !m.Empty() {
		t.Errorf("zero Mutation: Empty() = false")
	}
	typ := reflect.TypeFor[Mutation]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Type.Kind() != reflect.Slice {
			t.Fatalf("Mutation.%s is a %s; this test expects slices only", f.Name, f.Type)
		}
		var m Mutation
		v := reflect.ValueOf(&m).Elem().Field(i)
		v.Set(reflect.MakeSlice(f.Type, 0, 1))
		if !m.Empty() {
			t.Errorf("Mutation with an empty %s: Empty() = false", f.Name)
		}
		v.Set(reflect.MakeSlice(f.Type, 1, 1))
		if m.Empty() {
			t.Errorf("Mutation with one %s: Empty() = true", f.Name)
		}
		var mg merged
		mg.add(&m)
		if mg.empty() {
			t.Errorf("merged from one %s: empty() = true", f.Name)
		}
	}
}
