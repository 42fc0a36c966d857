package module

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"lvslab/internal/host"
	"lvslab/internal/infile"
)

// Cert makes a self-signed certificate on the controller with Go's crypto (no
// openssl, the host is never touched): the first name is the subject CN,
// every name is in subjectAltName (IP addresses as IP SANs), the signature is
// SHA-256 with RSA-2048 or ECDSA P-256. The key is written 0600 whatever the
// umask, both files atomically (temporary file, then rename).
//
// The pair is left alone when the certificate parses, matches the key and
// the key type, names exactly the declared names, and expires more than 30
// days from now; otherwise both are made anew.
type Cert struct {
	Names    []string `yaml:"names"`
	CertPath string   `yaml:"cert_path"` // relative to the playbook's directory, or absolute
	KeyPath  string   `yaml:"key_path"`
	Type     string   `yaml:"type"` // rsa (default) or ecdsa
	Days     int      `yaml:"days"` // default 825
}

// certRenewBefore is how close to expiry a certificate is renewed.
const certRenewBefore = 30 * 24 * time.Hour

// certNow is the clock, replaced in tests.
var certNow = time.Now

// certWant is the certificate a cert task wants: its arguments with the
// defaults filled in.
type certWant struct{ Cert }

// want defaults and checks the arguments, reporting every problem.
func (m *Cert) want() (certWant, error) {
	var p problems
	w := certWant{*m}
	if len(m.Names) == 0 {
		p.add("names needs at least one name")
	}
	for _, n := range m.Names {
		if net.ParseIP(n) == nil && !certDNSName(n) {
			p.add("name %q is neither an IP address nor a DNS name", n)
		}
	}
	if m.CertPath == "" || m.KeyPath == "" {
		p.add("cert_path and key_path are required")
	}
	w.Type = orDefault(m.Type, "rsa")
	if w.Type != "rsa" && w.Type != "ecdsa" {
		p.add("type must be rsa or ecdsa, not %q", w.Type)
	}
	w.Days = orDefault(m.Days, 825)
	if w.Days < 1 || w.Days > 36500 {
		p.add("days must be 1-36500, not %d", w.Days)
	}
	return w, p.err()
}

// Validate reports every problem of the arguments.
func (m *Cert) Validate() error { _, err := m.want(); return err }

func certDNSName(n string) bool {
	if n == "" || len(n) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimPrefix(n, "*."), ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// Apply checks the existing pair and makes a new one when needed. h is not used.
func (m *Cert) Apply(ctx context.Context, _ host.Executor, env *Env) (Result, error) {
	w, err := m.want()
	if err != nil {
		return Result{}, err
	}
	certPath, keyPath := controllerPath(env, w.CertPath), controllerPath(env, w.KeyPath)
	data := map[string]any{"cert_path": certPath, "key_path": keyPath, "names": w.Names}
	reason := w.needsRenewal(certPath, keyPath)
	if reason == "" {
		// A valid pair whose key others can read is kept, the key made private.
		fi, err := os.Stat(keyPath)
		if err != nil || fi.Mode().Perm()&0o077 == 0 {
			return Result{Data: data, Msg: "certificate valid"}, nil
		}
		if env.Check {
			return Result{Changed: true, Data: data, Msg: fmt.Sprintf("would make the key private (mode %04o)", fi.Mode().Perm())}, nil
		}
		if err := os.Chmod(keyPath, 0o600); err != nil {
			return Result{}, fmt.Errorf("make %s private: %w", keyPath, err)
		}
		return Result{Changed: true, Data: data, Msg: fmt.Sprintf("certificate valid; key mode %04o made 0600", fi.Mode().Perm())}, nil
	}
	data["reason"] = reason
	if env.Check {
		return Result{Changed: true, Data: data, Msg: "would renew: " + reason}, nil
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	certPEM, keyPEM, err := GenerateSelfSigned(w.Names, w.Type, w.Days)
	if err != nil {
		return Result{}, err
	}
	if err := certWriteFile(keyPath, keyPEM, 0o600); err != nil {
		return Result{}, err
	}
	if err := certWriteFile(certPath, certPEM, 0o644); err != nil {
		return Result{}, err
	}
	if c, err := certParse(certPEM); err == nil {
		sum := sha256.Sum256(c.Raw)
		data["not_after"] = c.NotAfter.UTC().Format(time.RFC3339)
		data["sha256"] = hex.EncodeToString(sum[:])
	}
	return Result{Changed: true, Data: data, Msg: "renewed: " + reason}, nil
}

// controllerPath resolves p against the playbook's directory.
func controllerPath(env *Env, p string) string {
	if filepath.IsAbs(p) || env == nil || env.BaseDir == "" {
		return p
	}
	return filepath.Join(env.BaseDir, p)
}

// needsRenewal returns why the pair must be made anew, or "" when it is good.
func (w certWant) needsRenewal(certPath, keyPath string) string {
	certPEM, err := infile.ReadFile(certPath)
	if err != nil {
		return "no certificate"
	}
	keyPEM, err := infile.ReadFile(keyPath)
	if err != nil {
		return "no key"
	}
	c, err := certParse(certPEM)
	if err != nil {
		return "certificate does not parse"
	}
	key, err := certParseKey(keyPEM)
	if err != nil {
		return "key does not parse"
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(c.PublicKey) {
		return "key does not match certificate"
	}
	if _, isRSA := key.(*rsa.PrivateKey); isRSA != (w.Type == "rsa") {
		return "key is not of type " + w.Type
	}
	if got, want := certNames(c), certNamesOf(w.Names); !slices.Equal(got, want) || c.Subject.CommonName != w.Names[0] {
		return fmt.Sprintf("names differ (have %s)", strings.Join(got, ", "))
	}
	if c.NotAfter.Sub(certNow()) < certRenewBefore {
		return "expires " + c.NotAfter.UTC().Format(time.DateOnly)
	}
	return ""
}

// certNames returns the sorted SANs of c, IPs in canonical form.
func certNames(c *x509.Certificate) []string {
	names := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func certNamesOf(in []string) []string {
	var names []string
	for _, n := range in {
		if ip := net.ParseIP(n); ip != nil {
			n = ip.String()
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func certParse(b []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("no certificate in pem")
	}
	return x509.ParseCertificate(blk.Bytes)
}

func certParseKey(b []byte) (crypto.Signer, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("no key in pem")
	}
	var k any
	var err error
	switch blk.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(blk.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	}
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported key type %T", k)
	}
	return s, nil
}

// GenerateSelfSigned makes a self-signed server certificate for names (the
// first is the CN; all go into subjectAltName, IP addresses as IP SANs),
// valid for days, with an RSA-2048 ("rsa") or ECDSA P-256 ("ecdsa") key and a
// SHA-256 signature. Like `openssl req -x509` it is marked CA:TRUE so that it
// can serve as its own trust anchor. It returns the certificate and the
// PKCS#8 key, in PEM.
func GenerateSelfSigned(names []string, keyType string, days int) (certPEM, keyPEM []byte, err error) {
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("generate certificate: no names")
	}
	var key crypto.Signer
	var sigAlg x509.SignatureAlgorithm
	// As `openssl req -x509` makes it: a self-signed certificate that is its
	// own trust anchor (curl --cacert, openssl s_client -CAfile), so CA:TRUE
	// and keyCertSign besides the server usages.
	usage := x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign
	switch keyType {
	case "rsa", "":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
		sigAlg, usage = x509.SHA256WithRSA, usage|x509.KeyUsageKeyEncipherment
	case "ecdsa":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		sigAlg = x509.ECDSAWithSHA256
	default:
		return nil, nil, fmt.Errorf("generate certificate: key type must be rsa or ecdsa, not %q", keyType)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("generate %s key: %w", keyType, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("generate serial: %w", err)
	}
	now := certNow()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0]},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(time.Duration(days) * 24 * time.Hour),
		KeyUsage:              usage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		SignatureAlgorithm:    sigAlg,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("sign certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), nil
}

// certWriteFile writes data to path atomically with exactly mode: a new
// temporary file (O_EXCL, created with mode, so never wider) in the same
// directory, synced, chmod-ed (the umask cannot narrow or widen it), renamed.
func certWriteFile(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	var f *os.File
	var tmp string
	for i := 0; ; i++ {
		suffix := make([]byte, 6)
		if _, err := rand.Read(suffix); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		tmp = filepath.Join(dir, "."+filepath.Base(path)+"."+hex.EncodeToString(suffix)+".tmp")
		var err error
		f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) || i > 10 {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	err := f.Chmod(mode)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
