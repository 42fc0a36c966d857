package vault

import (
	"fmt"
	"strconv"
	"sync"

	"gopkg.in/yaml.v3"

	"lvslab/internal/infile"
)

var (
	defaultMu sync.RWMutex
	defaultKR *Keyring
)

// SetDefault sets the keyring of the run, that ReadFile and every Value
// decrypt with. cmd sets it once, before any file is read; a nil keyring
// holds no password.
func SetDefault(k *Keyring) {
	defaultMu.Lock()
	defaultKR = k
	defaultMu.Unlock()
}

// Default returns the keyring SetDefault set, or nil.
func Default() *Keyring {
	defaultMu.RLock()
	defer defaultMu.RUnlock()
	return defaultKR
}

// ReadFile reads an input file as infile.ReadFile does and, when it is
// vaulted as a whole, decrypts it with the default keyring (Ansible
// decrypts a vaulted vars, inventory or -e @file when it loads it).
// vaulted says it was; the caller passes the strings it parses out of it
// to Protect, so that none of them is printed.
func ReadFile(path string) (data []byte, vaulted bool, err error) {
	data, err = infile.ReadFile(path)
	if err != nil || !IsEncrypted(data) {
		return data, false, err
	}
	data, err = Default().Decrypt(data, path)
	return data, true, err
}

// Protect passes every string inside v (a decoded YAML value) to the
// default keyring's Reveal hook.
func Protect(v any) { Default().Protect(Strings(v)...) }

// ProtectNode passes every scalar value (not mapping keys) of a decrypted
// YAML document to the default keyring's Reveal hook.
func ProtectNode(n *yaml.Node) {
	var out []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for i, c := range n.Content {
			switch {
			case n.Kind == yaml.MappingNode && i%2 == 0:
			case c.Kind == yaml.ScalarNode:
				out = append(out, c.Value)
			default:
				walk(c)
			}
		}
	}
	walk(n)
	Default().Protect(out...)
}

// Strings lists the strings inside a decoded value: scalars, keys not.
func Strings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, Strings(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range x {
			out = append(out, Strings(e)...)
		}
		return out
	}
	return nil
}

// Value is a !vault value of a YAML file, kept encrypted until it is used
// (Ansible's AnsibleVaultEncryptedUnicode): Plaintext decrypts it, once,
// with the default keyring. It is immutable and safe for concurrent use;
// copies of variables share it.
//
// A Value is also an error until revealed: a template that reads one
// directly fails with its message (where it is, and that it is vaulted),
// as with a variable that did not render; Reveal replaces the Values of a
// host's variables by their plaintext first.
type Value struct {
	// Text is the vaulted text ($ANSIBLE_VAULT;...).
	Text string
	// Where is its file:line:col.
	Where string

	once  sync.Once
	plain string
	err   error
}

// NewValue returns the Value of a !vault scalar of file.
func NewValue(file string, n *yaml.Node) *Value {
	return &Value{Text: n.Value, Where: fmt.Sprintf("%s:%d:%d", file, n.Line, n.Column)}
}

// Plaintext decrypts the value (the first call; later ones return the
// same), registering it with the Reveal hook.
func (v *Value) Plaintext() (string, error) {
	v.once.Do(func() {
		b, err := Default().Decrypt([]byte(v.Text), v.Where)
		v.plain, v.err = string(b), err
	})
	return v.plain, v.err
}

// Error says the value is vaulted and has not been decrypted.
func (v *Value) Error() string {
	return v.Where + ": a !vault value used before it was decrypted"
}

// String never shows the plaintext.
func (v *Value) String() string { return "<vaulted value at " + v.Where + ">" }

// MarshalJSON never shows the plaintext.
func (v *Value) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(v.String())), nil }

// Reveal replaces, in place, every *Value inside vars (at any depth) by its
// plaintext. A value that does not decrypt (no password, a wrong one) is
// replaced by what bad(name, err) returns — the template layer's error
// value (tmpl.VarError), so that the error surfaces only where the
// variable is used — or, with bad nil, left as it is.
func Reveal(vars map[string]any, bad func(name string, err error) any) {
	for k, x := range vars {
		r, err := reveal(x)
		if err != nil {
			if bad != nil {
				vars[k] = bad(k, err)
			}
			continue
		}
		vars[k] = r
	}
}

// reveal returns v with its *Values decrypted.
func reveal(v any) (any, error) {
	return mapScalars(v, func(x any) (any, error) {
		if val, ok := x.(*Value); ok {
			return val.Plaintext()
		}
		return x, nil
	})
}

// mapScalars returns a copy of v (a decoded YAML value) with f applied to
// every value that is neither a list nor a mapping.
func mapScalars(v any, f func(any) (any, error)) (any, error) {
	var err error
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i := 0; i < len(x) && err == nil; i++ {
			out[i], err = mapScalars(x[i], f)
		}
		return out, err
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if out[k], err = mapScalars(e, f); err != nil {
				break
			}
		}
		return out, err
	}
	return f(v)
}

// Decode decodes a YAML node into v as yaml.v3's Node.Decode does, with
// every !vault scalar a *Value instead of its text. file names the values.
func Decode(file string, n *yaml.Node, v *map[string]any) error {
	var found []*Value
	c := placeholders(file, n, &found)
	if err := c.Decode(v); err != nil {
		return err
	}
	if len(found) > 0 {
		for k, x := range *v {
			(*v)[k] = substitute(x, found)
		}
	}
	return nil
}

const mark = "\x00lvslab-vault:"

// placeholders copies n with each !vault scalar a marked string.
func placeholders(file string, n *yaml.Node, found *[]*Value) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	if n.Kind == yaml.ScalarNode && n.Tag == "!vault" {
		*found = append(*found, NewValue(file, n))
		c.Tag, c.Style, c.Value = "!!str", yaml.DoubleQuotedStyle, mark+strconv.Itoa(len(*found)-1)
		return &c
	}
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, e := range n.Content {
			c.Content[i] = placeholders(file, e, found)
		}
	}
	return &c
}

func substitute(v any, found []*Value) any {
	out, _ := mapScalars(v, func(x any) (any, error) {
		if s, ok := x.(string); ok && len(s) > len(mark) && s[:len(mark)] == mark {
			if i, err := strconv.Atoi(s[len(mark):]); err == nil && i < len(found) {
				return found[i], nil
			}
		}
		return x, nil
	})
	return out
}
