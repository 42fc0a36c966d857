package module

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/hosttest"
)

const sysctlFile = "/etc/sysctl.conf" // the default, as Ansible's

func sysctlAnswer(rc, value, file string, exists bool) host.Result {
	out := "sysctl_rc=" + rc + "\nsysctl_value=" + value + "\n"
	if !exists {
		return host.Result{Stdout: out + absentAnswer(sysctlFile).Stdout}
	}
	return host.Result{Stdout: out + probeAnswer(sysctlFile, file, 0644, "0", "root", true).Stdout}
}

func TestSysctlConvergedOneRoundTrip(t *testing.T) {
	f := hosttest.New().On(`sysctl -n`, sysctlAnswer("0", "1", "# lab\nnet.ipv4.ip_forward=1\n", true))
	res := apply(t, newModule(t, "sysctl", "name: net.ipv4.ip_forward\nvalue: 1"), f, testEnv(debian12, nil))
	if res.Changed || res.Failed || len(f.Commands()) != 1 {
		t.Fatalf("res %+v calls %q", res, f.Commands())
	}
	goldenShell(t, "core/sysctl_converged", f.Commands(), false)
}

func TestSysctlRuntimeDrift(t *testing.T) {
	f := hosttest.New().On(`sysctl -n`, sysctlAnswer("0", "0", "net.ipv4.ip_forward = 1\n", true))
	res := apply(t, newModule(t, "sysctl", "name: net.ipv4.ip_forward\nvalue: 1"), f, testEnv(debian12, nil))
	if !res.Changed || res.Msg != "runtime 0 -> 1" || len(uploads(f.Commands())) != 0 {
		t.Fatalf("res %+v calls %q", res, f.Commands())
	}
	if got := f.Commands()[1]; got != "sysctl -w net.ipv4.ip_forward=1" {
		t.Fatalf("set with %q", got)
	}
}

func TestSysctlFileDriftReplacesInPlace(t *testing.T) {
	f := hosttest.New().On(`sysctl -n`, sysctlAnswer("0", "2", "# lab\nnet.ipv4.conf.all.arp_announce = 0\nnet.ipv4.conf.lo.arp_ignore = 1\nnet.ipv4.conf.all.arp_announce=0\n", true))
	env := testEnv(debian12, nil)
	env.Diff = true
	res := apply(t, newModule(t, "sysctl", "name: net.ipv4.conf.all.arp_announce\nvalue: 2"), f, env)
	if !res.Changed || res.Msg != sysctlFile+" updated" {
		t.Fatalf("res %+v", res)
	}
	want := "# lab\nnet.ipv4.conf.all.arp_announce = 2\nnet.ipv4.conf.lo.arp_ignore = 1\n"
	if got := string(f.Files[sysctlFile].Data); got != want {
		t.Fatalf("file %q, want %q", got, want)
	}
	if len(res.Diff) != 1 || res.Diff[0].After != want {
		t.Fatalf("diff %+v", res.Diff)
	}
	goldenShell(t, "core/sysctl_file_drift", f.Commands(), false)
}

func TestSysctlNewFileCheckMode(t *testing.T) {
	f := hosttest.New().On(`sysctl -n`, sysctlAnswer("0", "0", "", false))
	env := testEnv(debian12, nil)
	env.Check, env.Diff = true, true
	res := apply(t, newModule(t, "sysctl", "name: net.ipv4.vs.conntrack\nvalue: 1\nsysctl_file: /etc/sysctl.d/90-ipvs.conf"), f, env)
	if !res.Changed || len(f.Commands()) != 1 {
		t.Fatalf("res %+v calls %q", res, f.Commands())
	}
	if len(res.Diff) != 2 || res.Diff[0].After != "net.ipv4.vs.conntrack = 1\n" || res.Diff[1].Before != "0\n" {
		t.Fatalf("diff %+v", res.Diff)
	}
}

func TestSysctlAbsentLeavesRuntime(t *testing.T) {
	f := hosttest.New().On(`sysctl -n`, sysctlAnswer("0", "1", "a = 1\nnet.ipv4.ip_forward = 1\n", true))
	res := apply(t, newModule(t, "sysctl", "name: net/ipv4/ip_forward\nstate: absent"), f, testEnv(debian12, nil))
	if !res.Changed || string(f.Files[sysctlFile].Data) != "a = 1\n" {
		t.Fatalf("res %+v files %v", res, f.Files)
	}
	for _, c := range f.Commands() {
		if strings.Contains(c, "sysctl -w") || strings.Contains(c, "sysctl -p") {
			t.Fatalf("absent touched the runtime: %q", c)
		}
	}
}

func TestSysctlUnknownKey(t *testing.T) {
	f := hosttest.New().On(`sysctl -n`, sysctlAnswer("255", "sysctl: cannot stat /proc/sys/net/ipv4/vs/expire_nodest_conn: No such file or directory", "", false))
	res := apply(t, newModule(t, "sysctl", "name: net.ipv4.vs.expire_nodest_conn\nvalue: 1"), f, testEnv(debian12, nil))
	if !res.Failed || !strings.Contains(res.Msg, "not available on this host") || len(f.Commands()) != 1 {
		t.Fatalf("res %+v", res)
	}
	res = apply(t, newModule(t, "sysctl", "name: net.ipv4.vs.expire_nodest_conn\nvalue: 1\nreload: false\nsysctl_set: false"), f, testEnv(debian12, nil))
	if res.Failed || !res.Changed {
		t.Fatalf("persist only: %+v", res)
	}
}

func TestSysctlVectorValue(t *testing.T) {
	f := hosttest.New().On(`sysctl -n`, sysctlAnswer("0", "32768 60999", "net.ipv4.ip_local_port_range = 32768   60999\n", true))
	res := apply(t, newModule(t, "sysctl", "name: net.ipv4.ip_local_port_range\nvalue: '32768\t60999'"), f, testEnv(debian12, nil))
	if res.Changed {
		t.Fatalf("res %+v", res)
	}
}

func TestSysctlValidation(t *testing.T) {
	for args, want := range map[string]string{
		"value: 1":                       "invalid name",
		"name: 'a;b'\nvalue: 1":          "invalid name",
		"name: a.b":                      "one-line value",
		"name: a.b\nvalue: 1\nstate: on": `state "on"`,
	} {
		if _, err := newModuleErr("sysctl", args); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", args, err, want)
		}
	}
}

func TestSysctlProbeLocal(t *testing.T) {
	// The probe runs under a real shell and reads a real key (kernel.ostype
	// is "Linux" everywhere) and a file under a temporary directory.
	dir := t.TempDir()
	l := &localExec{}
	env := testEnv(debian12, nil)
	env.Check = true
	res := apply(t, newModule(t, "sysctl", "name: kernel.ostype\nvalue: Linux\nsysctl_file: "+dir+"/x.conf"), l, env)
	if !res.Changed || res.Msg != dir+"/x.conf updated" || res.Data["value"] != "Linux" {
		t.Fatalf("res %+v", res)
	}
}

func TestSysctlUnknownKeyInCheckModeIsAChange(t *testing.T) {
	f := hosttest.New().On(`sysctl -n`, sysctlAnswer("255", "sysctl: cannot stat", "", false))
	env := testEnv(debian12, nil)
	env.Check = true
	res := apply(t, newModule(t, "sysctl", "name: net.ipv4.vs.conntrack\nvalue: 1"), f, env)
	if res.Failed || !res.Changed || !strings.Contains(res.Msg, "runtime (not available) -> 1") {
		t.Fatalf("res %+v", res)
	}
}

// TestSysctlReadAsSysctl runs sysctlRead in sh and bash on this machine:
// the value and status are those of sysctl -n, read from /proc/sys or not.
func TestSysctlReadAsSysctl(t *testing.T) {
	if _, err := exec.LookPath("sysctl"); err != nil {
		t.Skip("no sysctl")
	}
	for _, key := range []string{"net.ipv4.ip_forward", "net.ipv4.tcp_rmem", "kernel.ostype", "net/ipv4/ip_forward", "net.ipv4.no_such_key"} {
		ref, err := exec.Command("sysctl", "-n", key).CombinedOutput()
		wantRC := "0"
		if err != nil {
			wantRC = "nonzero"
		}
		want := sysctlValue(string(ref))
		for _, sh := range []string{"sh", "bash"} {
			out, err := exec.Command(sh, "-c", sysctlRead(key)).Output()
			if err != nil {
				t.Fatalf("%s %s: %v", sh, key, err)
			}
			kv := parseInspection(string(out)).kv
			rc := kv["sysctl_rc"]
			if rc != "0" {
				rc = "nonzero"
			}
			if rc != wantRC || (rc == "0" && sysctlValue(kv["sysctl_value"]) != want) {
				t.Errorf("%s %s: rc %s value %q; sysctl -n: rc %s value %q", sh, key, kv["sysctl_rc"], kv["sysctl_value"], wantRC, want)
			}
		}
	}
}

func TestSysctlRefusedValueIsNotPersisted(t *testing.T) {
	refused := host.Result{ExitCode: 255, Stderr: "sysctl: setting key \"net.ipv4.ip_forward\": Invalid argument\n"}
	f := hosttest.New().On(`sysctl -n`, sysctlAnswer("0", "0", "# lab\n", true)).On(`sysctl -w`, refused)
	res := apply(t, newModule(t, "sysctl", "name: net.ipv4.ip_forward\nvalue: abc"), f, testEnv(debian12, nil))
	if !res.Failed || !strings.Contains(res.Msg, "Invalid argument") || len(uploads(f.Commands())) != 0 {
		t.Fatalf("res %+v calls %q", res, f.Commands())
	}
	goldenShell(t, "core/sysctl_refused", f.Commands(), false)
}

// TestSysctlRefusedValueLocal sets a range the kernel refuses in a private
// network namespace: the task fails with the kernel's message and the file
// is never written.
func TestSysctlRefusedValueLocal(t *testing.T) {
	e := netnsExec(t, "sysctl")
	file := t.TempDir() + "/99-lvslab.conf"
	res := apply(t, newModule(t, "sysctl", "name: net.ipv4.ip_local_port_range\nvalue: 9000 100\nsysctl_file: "+file), e, testEnv(debian12, nil))
	if !res.Failed || !strings.Contains(res.Msg, "Invalid argument") {
		t.Fatalf("res %+v calls %q", res, e.calls)
	}
	if data, err := os.ReadFile(file); !os.IsNotExist(err) {
		t.Fatalf("%s holds %q (err %v), want no file", file, data, err)
	}
}
