package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/playbook"
	"lvslab/internal/report"
)

// BenchmarkLinear measures the runner's own cost: 20 tasks on N hosts whose
// executors answer at once (no network), so that what is left is variable
// merging, templating, reporting and scheduling. ns/op is one whole run;
// the per-task-per-host figure is ns/op / (20*N).
func BenchmarkLinear(b *testing.B) {
	for _, n := range []int{10, 50, 200} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			hosts := make([]string, n)
			for i := range hosts {
				hosts[i] = fmt.Sprintf("h%03d", i)
			}
			f := newFixture(nil, hosts...)
			for _, h := range hosts {
				f.inv.vars[h]["base"] = "/srv/" + h
			}
			f.opts.Forks = n
			f.opts.Reporter = report.NewJSON(discard{}, nil)
			var sb strings.Builder
			sb.WriteString("- hosts: web\n  gather_facts: false\n  tasks:\n")
			for i := 0; i < 20; i++ {
				fmt.Fprintf(&sb, "    - name: task %d\n      shell: \"test -d {{ base }}/d%d && echo {{ inventory_hostname }}\"\n", i, i)
				if i%4 == 0 {
					fmt.Fprintf(&sb, "      register: r%d\n", i)
				}
			}
			path := filepath.Join(b.TempDir(), "play.yml")
			if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			pb, err := playbook.Load(path, f.opts.Modules)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := New(f.opts)
				if err := r.Run(context.Background(), []*playbook.Playbook{pb}); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(20*n)/1000, "µs/task/host")
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
