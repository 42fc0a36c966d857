package runner

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lvslab/internal/module"
	"lvslab/internal/playbook"
)

func TestBatches(t *testing.T) {
	hosts := []string{"h1", "h2", "h3", "h4", "h5"}
	for _, c := range []struct {
		serial string
		want   string
	}{
		{"", "h1 h2 h3 h4 h5"},
		{"2", "h1 h2|h3 h4|h5"},
		{"[1, '50%']", "h1|h2 h3|h4 h5"},
		{"'30%'", "h1|h2|h3|h4|h5"},
		{"[1, 10]", "h1|h2 h3 h4 h5"},
	} {
		play := loadPlay(t, c.serial)
		var got []string
		for _, b := range batches(play.Serial, hosts) {
			got = append(got, strings.Join(b, " "))
		}
		if strings.Join(got, "|") != c.want {
			t.Errorf("serial %s: %q, want %q", c.serial, got, c.want)
		}
	}
	if got := strings.Join(orderHosts("reverse_sorted", []string{"b", "c", "a"}), ""); got != "cba" {
		t.Errorf("reverse_sorted %s", got)
	}
}

// TestSerialOnRealSSHD: batches run the whole play in turn, in the play's
// order, ansible_play_batch the batch, as ansible-core 2.14 logs the
// same playbook with four local hosts; vars_prompt takes -e or its default.
func TestSerialOnRealSSHD(t *testing.T) {
	f := newFleet(t, 1, 4, 0, 0) // ok00 .. ok03
	log := filepath.Join(t.TempDir(), "log")
	rec, _, err := runWith(t, f.inv, `- hosts: all
  gather_facts: false
  serial: [1, "50%"]
  order: reverse_sorted
  vars_prompt:
    - {name: who, prompt: "Who"}
    - {name: what, prompt: "What", default: t2, private: false}
  tasks:
    - shell: echo {{ inventory_hostname }} t1 {{ ansible_play_batch | join(',') }} {{ who }} >> `+log+`
    - shell: echo {{ inventory_hostname }} {{ what }} >> `+log+`
`, func(o *Options) { o.ExtraVars = map[string]any{"who": "me"} })
	if err != nil {
		t.Fatalf("run: %v %+v", err, rec.results)
	}
	want := `ok03 t1 ok03 me
ok03 t2
ok02 t1 ok02,ok01 me
ok01 t1 ok02,ok01 me
ok02 t2
ok01 t2
ok00 t1 ok00 me
ok00 t2
`
	got := readFile(t, log)
	// Within a batch hosts run in parallel: compare each batch's lines as a set.
	norm := func(s string) string {
		l := strings.Split(s, "\n")
		for i := 2; i+1 < 6; i += 2 {
			if l[i] > l[i+1] {
				l[i], l[i+1] = l[i+1], l[i]
			}
		}
		return strings.Join(l, "\n")
	}
	if norm(got) != norm(want) {
		t.Errorf("log\n%s\nwant\n%s", got, want)
	}

	// No -e for a prompt without a default: bad input naming the play.
	_, _, err = runWith(t, f.inv, `- hosts: all
  name: needs input
  gather_facts: false
  vars_prompt:
    - {name: who, prompt: "Who"}
  tasks:
    - shell: "true"
`, nil)
	if err == nil || !strings.Contains(err.Error(), `play.yml:5:7: play "needs input": vars_prompt "who" has no value`) {
		t.Fatalf("err = %v", err)
	}
	var pl interface{ Unwrap() []error }
	if !errors.As(err, &pl) {
		t.Fatalf("not a list: %T", err)
	}
}

// loadPlay parses a play with the given serial value.
func loadPlay(t *testing.T, serial string) *playbook.Play {
	t.Helper()
	body := "- hosts: all\n  tasks: []\n"
	if serial != "" {
		body = "- hosts: all\n  serial: " + serial + "\n  tasks: []\n"
	}
	path := filepath.Join(t.TempDir(), "p.yml")
	os.WriteFile(path, []byte(body), 0o644)
	pb, err := playbook.Load(path, module.Default())
	if err != nil {
		t.Fatal(err)
	}
	return pb.Plays[0]
}
