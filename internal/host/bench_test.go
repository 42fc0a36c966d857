package host_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"

	"lvslab/internal/host"
	"lvslab/internal/host/sshtest"
)

// BenchmarkRunReused is the round trip of one command on a connection
// that stays open, as the runner uses it.
func BenchmarkRunReused(b *testing.B) {
	_, h := start(b, sshtest.Options{})
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Run(ctx, "true", host.RunOpts{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDialAndRun is a new connection per command, for comparison.
func BenchmarkDialAndRun(b *testing.B) {
	srv := sshtest.Start(b, sshtest.Options{Config: []string{"MaxStartups 1000"}})
	cfg := srv.SSHConfig()
	ctx := context.Background()
	for b.Loop() {
		h, err := host.Dial(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.Run(ctx, "true", host.RunOpts{}); err != nil {
			b.Fatal(err)
		}
		h.Close()
	}
}

// BenchmarkUpload64MiB reports the SFTP upload throughput (MB/s).
func BenchmarkUpload64MiB(b *testing.B) { benchUpload(b, false) }

// BenchmarkUpload64MiBShell reports the shell (sudo) upload throughput.
func BenchmarkUpload64MiBShell(b *testing.B) { benchUpload(b, true) }

func benchUpload(b *testing.B, noSFTP bool) {
	_, h := start(b, sshtest.Options{NoSFTP: noSFTP})
	data := make([]byte, 64<<20)
	_, _ = rand.Read(data)
	dst := run(b, h, "mktemp /tmp/lvslab-bench-XXXXXX")
	defer run(b, h, "rm -f "+dst)
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := h.Upload(ctx, bytes.NewReader(data), dst, host.FileOpts{Mode: 0o600}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDownload64MiB reports the SFTP download throughput.
func BenchmarkDownload64MiB(b *testing.B) {
	_, h := start(b, sshtest.Options{})
	dst := run(b, h, "mktemp /tmp/lvslab-bench-XXXXXX")
	defer run(b, h, "rm -f "+dst)
	run(b, h, "head -c 67108864 /dev/urandom > "+dst)
	ctx := context.Background()
	var buf bytes.Buffer
	b.SetBytes(64 << 20)
	for b.Loop() {
		buf.Reset()
		if err := h.Download(ctx, dst, &buf, host.Become{}); err != nil {
			b.Fatal(err)
		}
	}
}
