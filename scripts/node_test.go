package scripts

import (
	"reflect"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

func TestNodeViewFromFacts(t *testing.T) {
	f := api.NodeFacts{
		Hostname: "gpu-7.example.com", OS: "linux", Arch: "amd64", CPUs: 32, Slots: 16,
		MemoryTotal: 256 << 30, MemoryFree: 100 << 30, Load1: 1.5,
		Tags:     []string{"gpu", "fast"},
		Version:  "test",
		DiskFree: 500 << 30, DiskTotal: 1 << 40,
		GPUs: []api.GPU{
			{Model: "NVIDIA A100-SXM4-80GB", MemoryTotal: 80 << 30},
			{Model: "NVIDIA A100-SXM4-80GB", MemoryTotal: 80 << 30},
		},
		IPs:    []string{"10.0.0.7", "192.168.1.7", "fd00::7"},
		Custom: map[string]string{"rack": "7"},
	}
	want := NodeView{
		Name: "gpu-7", Hostname: "gpu-7.example.com", OS: "linux", Arch: "amd64", CPUs: 32,
		MemTotal: 256 << 30, MemFree: 100 << 30, DiskFree: 500 << 30, Load1: 1.5,
		GPUs:  GPUs{Count: 2, Models: []string{"NVIDIA A100-SXM4-80GB", "NVIDIA A100-SXM4-80GB"}},
		Tags:  []string{"gpu", "fast"},
		IP:    "10.0.0.7",
		Facts: map[string]string{"rack": "7"},
	}
	got := NodeViewFromFacts("gpu-7", f)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NodeViewFromFacts =\n%+v\nwant\n%+v", got, want)
	}

	// What a script sees.
	e := newTestEngine(t, Options{})
	src := `return node.disk_free == 500 * 2^30 and node.gpus.count == 2 and
		node.gpus.models[1] == "NVIDIA A100-SXM4-80GB" and node.ip == "10.0.0.7" and node.facts.rack == "7"`
	if v := evalOn(t, e, got, src); !v.Selected {
		t.Errorf("script on the mapped node: %+v", v)
	}

	// A node that reports none of the new facts.
	bare := NodeViewFromFacts("bare", api.NodeFacts{OS: "linux"})
	if bare.DiskFree != 0 || bare.GPUs.Count != 0 || bare.GPUs.Models != nil || bare.IP != "" || bare.Facts != nil {
		t.Errorf("bare node = %+v", bare)
	}
	src = `return node.disk_free == 0 and node.gpus.count == 0 and #node.gpus.models == 0 and
		node.ip == "" and next(node.facts) == nil`
	if v := evalOn(t, e, bare, src); !v.Selected {
		t.Errorf("script on a bare node: %+v", v)
	}
}
