package tmpl

import "testing"

// Benchmarks of what a task costs to render: go test -bench . ./internal/tmpl

func BenchmarkRenderArg(b *testing.B) {
	v := map[string]any{"bench_base": "/tmp/bench", "inventory_hostname": "rs01"}
	for b.Loop() {
		if _, err := Render("t", "{{ bench_base }}/etc/app1.conf on {{ inventory_hostname }}", v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValueList(b *testing.B) {
	for b.Loop() {
		if _, err := Value("t", "{{ sites }}", vars); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCondition(b *testing.B) {
	for b.Loop() {
		if _, err := EvalBool("t", "port == 80 and 'added' in out.stdout", vars); err != nil {
			b.Fatal(err)
		}
	}
}
