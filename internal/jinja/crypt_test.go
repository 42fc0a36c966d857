package jinja

import (
	"strings"
	"testing"
)

// The expected hashes are python3's crypt.crypt and `openssl passwd -6 / -5`.
func TestShaCrypt(t *testing.T) {
	for _, c := range []struct {
		id       int
		pw, salt string
		rounds   int
		want     string
	}{
		{6, "secret", "saltsalt", 0, "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"},
		{6, "", "abc", 0, "$6$abc$mJP3a6FyA8uCnzRtlnNypPwjnvpi5TP9qOrInzrfDmwxUQG38PkpCPdqfTb8JQfAngapMxeim4AZ..hSdRRzD."},
		{5, "", "abc", 0, "$5$abc$bBHLwRRW2Li0XKaX13kz/g2fkDil4Jx46aNvd.48MS8"},
		{6, "", "abc", 1000, "$6$rounds=1000$abc$noBronbzNMcAtG61/dMHzc1H.fuLjHArF9.wCx8LbkVDMMEuChQCPee28tiPcXHL/CMNpCqo6OPTyoEpoCMsY/"},
		{6, strings.Repeat("a", 70), "0123456789abcdefXYZ", 0, "$6$0123456789abcdef$mRwqRcLLEM6/z//hG0oNLJQMdAT0NQKrIPWDpF2IYUcosPuPd.lt9oaIpHqqaJVnsmFXDRzDkj1v1QXfYBEI31"},
		{5, strings.Repeat("a", 70), "0123456789abcdefXYZ", 0, "$5$0123456789abcdef$X6Sxoeo85Sv.Uw1p6PhssXp.SDurT6SG1dRqDVlMDs4"},
		{6, "pässwörd", "x.y/Z", 0, "$6$x.y/Z$Wot3ZKzTUxKv4CrIQVDa/kzwv8aAUl/jvIuXC.i428PmMERGIb55nadl7G2uqHB6pdfGQq0k6XVA9sp2JXgQK."},
		{5, "pässwörd", "x.y/Z", 0, "$5$x.y/Z$TiaRrVF/QCFP12QUjTye6ZewuTmCsvnK7l9ou9dvmv9"},
	} {
		if got := shaCrypt(c.id, c.pw, c.salt, c.rounds); got != c.want {
			t.Errorf("shaCrypt(%d, %q, %q, %d) = %s, want %s", c.id, c.pw, c.salt, c.rounds, got, c.want)
		}
	}
}
