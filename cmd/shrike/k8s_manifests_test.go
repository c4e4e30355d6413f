package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// k8sDir holds the Kubernetes manifests.
const k8sDir = "../../deploy/kubernetes"

// k8sObject is one decoded manifest document.
type k8sObject map[string]any

// get follows a path of map keys and list indexes ("spec", "template", 0).
func (o k8sObject) get(path ...any) any {
	var cur any = map[string]any(o)
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

func (o k8sObject) str(path ...any) string {
	s, _ := o.get(path...).(string)
	return s
}

func (o k8sObject) list(path ...any) []any {
	l, _ := o.get(path...).([]any)
	return l
}

// readManifests decodes every document of every YAML file in k8sDir, by
// file name.
func readManifests(t *testing.T) map[string][]k8sObject {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s (%v)", k8sDir, err)
	}
	out := map[string][]k8sObject{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		for {
			var doc map[string]any
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if doc != nil {
				out[filepath.Base(f)] = append(out[filepath.Base(f)], doc)
			}
		}
	}
	return out
}

func TestK8sManifests(t *testing.T) {
	manifests := readManifests(t)
	wantKinds := map[string]string{
		"namespace.yaml":     "Namespace",
		"secret.yaml":        "Secret",
		"daemonset.yaml":     "DaemonSet",
		"deployment.yaml":    "Deployment",
		"kustomization.yaml": "Kustomization",
	}
	for file, kind := range wantKinds {
		docs := manifests[file]
		if len(docs) != 1 || docs[0].str("kind") != kind || docs[0].str("apiVersion") == "" {
			t.Errorf("%s: want one %s with an apiVersion, got %d documents", file, kind, len(docs))
		}
	}
	for file := range manifests {
		if _, ok := wantKinds[file]; !ok {
			t.Errorf("%s: a manifest this test does not know", file)
		}
	}
	if t.Failed() {
		return
	}
	ns := manifests["namespace.yaml"][0].str("metadata", "name")
	for _, file := range []string{"secret.yaml", "daemonset.yaml", "deployment.yaml"} {
		if got := manifests[file][0].str("metadata", "namespace"); got != ns {
			t.Errorf("%s: namespace %q, want %q", file, got, ns)
		}
	}
	kust := manifests["kustomization.yaml"][0]
	if kust.str("namespace") != ns {
		t.Errorf("kustomization: namespace %q, want %q", kust.str("namespace"), ns)
	}
	for _, r := range kust.list("resources") {
		if _, err := os.Stat(filepath.Join(k8sDir, r.(string))); err != nil {
			t.Errorf("kustomization resource %v: %v", r, err)
		}
	}
	secret := manifests["secret.yaml"][0]
	for _, file := range []string{"daemonset.yaml", "deployment.yaml"} {
		t.Run(file, func(t *testing.T) { checkAgentWorkload(t, manifests[file][0], secret) })
	}
}

// envRef matches a $(VAR) reference in a container's args.
var envRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// checkAgentWorkload checks a DaemonSet or Deployment of node agents: the
// selector matches the pod labels, the secret keys it uses exist, and its
// agent args, with $(VAR) expanded as the kubelet would, parse with the
// real agent flags and point at mounted volumes.
func checkAgentWorkload(t *testing.T, w, secret k8sObject) {
	secretName := secret.str("metadata", "name")
	secretData, _ := secret.get("stringData").(map[string]any)
	hasKey := func(name, key string) bool {
		_, ok := secretData[key]
		return name == secretName && ok
	}
	labels, _ := w.get("spec", "template", "metadata", "labels").(map[string]any)
	match, _ := w.get("spec", "selector", "matchLabels").(map[string]any)
	if len(match) == 0 {
		t.Error("no selector")
	}
	for k, v := range match {
		if labels[k] != v {
			t.Errorf("selector %s=%v does not match the pod labels %v", k, v, labels)
		}
	}
	pod := k8sObject(w.get("spec", "template", "spec").(map[string]any))
	containers := pod.list("containers")
	if len(containers) != 1 {
		t.Fatalf("%d containers, want the agent alone", len(containers))
	}
	c := k8sObject(containers[0].(map[string]any))
	if c.str("image") == "" || c.get("resources", "limits", "cpu") == nil || c.get("resources", "limits", "memory") == nil {
		t.Errorf("container: want an image and CPU and memory limits")
	}

	// The environment as the kubelet builds it, with made-up values for
	// the downward API.
	vars := map[string]string{}
	for _, e := range c.list("env") {
		ev := k8sObject(e.(map[string]any))
		name := ev.str("name")
		switch {
		case ev.get("value") != nil:
			vars[name] = ev.str("value")
		case ev.get("valueFrom", "secretKeyRef") != nil:
			ref, key := ev.str("valueFrom", "secretKeyRef", "name"), ev.str("valueFrom", "secretKeyRef", "key")
			if !hasKey(ref, key) {
				t.Errorf("env %s: secret %s has no key %s", name, ref, key)
			}
			vars[name], _ = secretData[key].(string)
		case ev.get("valueFrom", "fieldRef") != nil:
			vars[name] = map[string]string{"metadata.name": "shrike-node-x7k2q", "spec.nodeName": "worker-3.example.org"}[ev.str("valueFrom", "fieldRef", "fieldPath")]
		case ev.get("valueFrom", "resourceFieldRef") != nil:
			if got := ev.str("valueFrom", "resourceFieldRef", "containerName"); got != c.str("name") {
				t.Errorf("env %s: resourceFieldRef of container %q, want %q", name, got, c.str("name"))
			}
			vars[name] = "2"
		}
		if vars[name] == "" {
			t.Errorf("env %s: no value", name)
		}
	}
	var args []string
	for _, a := range c.list("args") {
		s, _ := a.(string)
		s = envRef.ReplaceAllStringFunc(s, func(ref string) string {
			v, ok := vars[envRef.FindStringSubmatch(ref)[1]]
			if !ok {
				t.Errorf("args: %s is not in the container's env", ref)
			}
			return v
		})
		args = append(args, s)
	}
	if len(args) == 0 || args[0] != "node" {
		t.Fatalf("args %q: want the node agent (node ...)", args)
	}
	var flagOut strings.Builder
	o, err := parseAgentFlags(args[1:], func(string) string { return "" }, &flagOut)
	if err != nil {
		first, _, _ := strings.Cut(flagOut.String(), "\n")
		t.Fatalf("agent args %q: %v %s", args[1:], err, first)
	}
	if o.server == "" || o.tokenFile == "" || o.name != "shrike-node-x7k2q" {
		t.Errorf("agent: server %q, token file %q, name %q; want all three, the name from the pod", o.server, o.tokenFile, o.name)
	}

	// The token file and the work dir are on volumes; the token comes from
	// the secret.
	volumes := map[string]k8sObject{}
	for _, v := range pod.list("volumes") {
		vo := k8sObject(v.(map[string]any))
		volumes[vo.str("name")] = vo
	}
	mountOf := func(path string) (k8sObject, string) {
		for _, m := range c.list("volumeMounts") {
			mo := k8sObject(m.(map[string]any))
			if rel, ok := strings.CutPrefix(path, strings.TrimSuffix(mo.str("mountPath"), "/")+"/"); ok {
				return volumes[mo.str("name")], rel
			}
		}
		return nil, ""
	}
	vol, rel := mountOf(o.tokenFile)
	if vol == nil || vol.str("secret", "secretName") != secretName {
		t.Fatalf("--token-file %s is not on a volume of secret %s", o.tokenFile, secretName)
	}
	found := false
	for _, it := range vol.list("secret", "items") {
		item := k8sObject(it.(map[string]any))
		if item.str("path") == rel {
			found = true
			if !hasKey(secretName, item.str("key")) {
				t.Errorf("secret volume item %s: secret %s has no such key", item.str("key"), secretName)
			}
		}
	}
	if !found {
		t.Errorf("--token-file %s: no item %s in the secret volume", o.tokenFile, rel)
	}
	if vol, _ := mountOf(o.workDir + "/x"); vol == nil || (vol.get("emptyDir") == nil && vol.get("hostPath") == nil) {
		t.Errorf("--work-dir %s is not on an emptyDir or hostPath volume", o.workDir)
	}
	if !slices.Contains(o.tags, "kubernetes") {
		t.Errorf("tags %v, want kubernetes", o.tags)
	}
}
