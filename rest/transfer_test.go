package rest_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
	"github.com/shrike-grid/shrike/rest"
)

// TestTransferWithNodeClient moves a task's files the way a node does,
// with dataspace.Client over the transfer routes: inputs pulled, outputs
// pushed (again: harmless), and a read-only space refused.
func TestTransferWithNodeClient(t *testing.T) {
	h := newSpaceHarness(t, rest.Options{MaxBodyBytes: 256}, dataspace.Options{})
	id := h.submit(validJob)
	for p, body := range map[string]string{"a.txt": "alpha", "sub/b.txt": "beta"} {
		decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/jobs/"+itoa(id)+"/input/"+p, h.alice, body, nil), http.StatusCreated)
	}
	node := &dataspace.Client{ServerURL: h.srv.URL, Token: h.fake.TransferToken(id)}
	ctx := context.Background()

	scratch := t.TempDir()
	n, err := node.Pull(ctx, api.SpaceInput, dataspace.Selector{}, scratch, false)
	if err != nil || n != 2 {
		t.Fatalf("Pull = %d, %v; want 2 files", n, err)
	}
	if data, err := os.ReadFile(filepath.Join(scratch, "sub", "b.txt")); err != nil || string(data) != "beta" {
		t.Errorf("pulled sub/b.txt = %q, %v", data, err)
	}

	big := make([]byte, 1000) // larger than MaxBodyBytes
	if err := os.WriteFile(filepath.Join(scratch, "out.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	sel := dataspace.Selector{Include: []string{"*.bin"}}
	if n, err := node.Push(ctx, scratch, api.SpaceOutput, sel); err != nil || n != 1 {
		t.Fatalf("Push = %d, %v; want 1 file", n, err)
	}
	if _, err := node.Push(ctx, scratch, api.SpaceOutput, sel); err != nil {
		t.Fatalf("second Push: %v", err)
	}
	st := decode[api.SpaceEntry](t, h.send("GET", "/api/v1/jobs/"+itoa(id)+"/output/out.bin?stat=1", h.alice, "", nil), http.StatusOK)
	if st.Size != 1000 {
		t.Errorf("pushed entry = %+v", st)
	}
	_, err = node.Push(ctx, scratch, api.SpaceInput, sel)
	if !api.IsCode(err, api.CodeForbidden) {
		t.Errorf("push to the input space: err = %v, want forbidden", err)
	}
	bad := &dataspace.Client{ServerURL: h.srv.URL, Token: "forged"}
	if _, err := bad.Pull(ctx, api.SpaceInput, dataspace.Selector{}, t.TempDir(), false); !api.IsCode(err, api.CodeUnauthorized) {
		t.Errorf("pull with a forged token: err = %v, want unauthorized", err)
	}
}
