package vault

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// DefaultID is Ansible's default vault identity (DEFAULT_VAULT_IDENTITY).
const DefaultID = "default"

// Secret is one vault password and the vault id it is given for.
type Secret struct {
	ID       string
	Password []byte
	// Source says where the password came from (a file, a script, the
	// prompt), for messages; never the password.
	Source string
}

// Keyring holds the vault passwords of a run, in the order Ansible tries
// them. Decrypt is safe for concurrent use; every plaintext it opens is
// passed to the Reveal hook first, so that the reporter hides it.
type Keyring struct {
	secrets []Secret
	// IDMatch is Ansible's DEFAULT_VAULT_ID_MATCH: a vault whose header
	// names an id is tried only with that id's passwords.
	IDMatch bool

	mu     sync.Mutex
	reveal func(values ...string)
}

// NewKeyring returns a keyring of secrets, tried in order.
func NewKeyring(secrets ...Secret) *Keyring { return &Keyring{secrets: secrets} }

// OnReveal sets the function every decrypted value is given to (the
// redactor's Add) before anyone else sees it.
func (k *Keyring) OnReveal(f func(values ...string)) {
	k.mu.Lock()
	k.reveal = f
	k.mu.Unlock()
}

// Protect passes values to the Reveal hook: the strings of a decrypted
// file, once parsed.
func (k *Keyring) Protect(values ...string) {
	if k == nil {
		return
	}
	k.mu.Lock()
	f := k.reveal
	k.mu.Unlock()
	if f != nil && len(values) > 0 {
		f(values...)
	}
}

// IDs lists the keyring's vault ids in order.
func (k *Keyring) IDs() []string {
	if k == nil {
		return nil
	}
	var out []string
	for _, s := range k.secrets {
		out = append(out, s.ID)
	}
	return out
}

// Len is the number of passwords held.
func (k *Keyring) Len() int {
	if k == nil {
		return 0
	}
	return len(k.secrets)
}

// Error is a vaulted text that could not be opened.
type Error struct {
	Where string // file, or file:line:col of a !vault value
	ID    string // the vault id of its header ("default" for 1.1)
	Tried []string
	Err   error
}

// ErrNoPassword is the cause of an Error when the keyring holds no password.
var ErrNoPassword = errors.New("no vault password was given (--vault-password-file, --vault-id or --ask-vault-pass)")

// ErrWrongPassword is the cause of an Error when no password opened it.
var ErrWrongPassword = errors.New("no vault password given opens it")

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: vault id %q: ", e.Where, e.ID)
	if len(e.Tried) > 0 {
		msg += fmt.Sprintf("decryption failed with vault id(s) %s: ", strings.Join(quoteAll(e.Tried), ", "))
	}
	return msg + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func quoteAll(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// Decrypt opens a vaulted text as Ansible's VaultLib does: with the
// passwords of the id its header names first, then (unless IDMatch) every
// other. where names it in errors. The plaintext is passed to the Reveal
// hook before it is returned.
func (k *Keyring) Decrypt(data []byte, where string) ([]byte, error) {
	e, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if k.Len() == 0 {
		return nil, &Error{Where: where, ID: e.DisplayID(), Err: ErrNoPassword}
	}
	var order []Secret
	for _, s := range k.secrets {
		if e.ID != "" && s.ID == e.ID {
			order = append(order, s)
		}
	}
	if !k.IDMatch || e.ID == "" {
		for _, s := range k.secrets {
			if e.ID == "" || s.ID != e.ID {
				order = append(order, s)
			}
		}
	}
	var tried []string
	for _, s := range order {
		pt, err := e.decrypt(s.Password)
		if err == nil {
			k.Protect(string(pt))
			return pt, nil
		}
		if errors.Is(err, ErrFormat) {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		tried = appendNew(tried, s.ID)
	}
	return nil, &Error{Where: where, ID: e.DisplayID(), Tried: tried, Err: ErrWrongPassword}
}

func appendNew(l []string, s string) []string {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}

// Prompter reads a password from a terminal, without echo; ok is false
// when there is no terminal to ask.
type Prompter func(prompt string) (password []byte, err error)

// ErrNoTerminal is a prompt for a vault password without a terminal.
var ErrNoTerminal = errors.New("--ask-vault-pass (or --vault-id ID@prompt) needs a terminal to read the password from; use --vault-password-file in scripts")

// Sources are the places a run's vault passwords come from, as Ansible's
// command line and configuration give them.
type Sources struct {
	// IDs are the --vault-id values ([label@]source, source a file, a
	// script or "prompt"), after the configuration's vault_identity_list.
	IDs []string
	// PasswordFiles are --vault-password-file values then the
	// configuration's vault_password_file: each for the default id.
	PasswordFiles []string
	// Ask is --ask-vault-pass: a prompt for the default id, last.
	Ask bool
	// Prompt reads from the terminal; nil means there is none.
	Prompt Prompter
}

// Load reads every password of src in Ansible's order (--vault-id, then
// password files, then --ask-vault-pass), running password scripts and
// prompting as Ansible's setup_vault_secrets does. An empty password is an
// error naming its source.
func Load(src Sources) (*Keyring, error) {
	slugs := append([]string{}, src.IDs...)
	for _, f := range src.PasswordFiles {
		slugs = append(slugs, DefaultID+"@"+f)
	}
	if src.Ask {
		slugs = append(slugs, DefaultID+"@prompt_ask_vault_pass")
	}
	k := &Keyring{}
	for _, slug := range slugs {
		id, source, ok := strings.Cut(slug, "@")
		if !ok {
			id, source = "", slug
		}
		if source == "" {
			return nil, fmt.Errorf("--vault-id %q: no password source after @", slug)
		}
		s, err := readSecret(id, source, src.Prompt)
		if err != nil {
			return nil, err
		}
		if s.ID == "" {
			s.ID = DefaultID
		}
		k.secrets = append(k.secrets, s)
	}
	return k, nil
}

// readSecret reads one password: from the prompt, a script's standard
// output (an executable file; a name ending in -client is given --vault-id
// ID) or a file's content, trimmed as Ansible trims it.
func readSecret(id, source string, prompt Prompter) (Secret, error) {
	label := id
	if label == "" {
		label = DefaultID
	}
	if source == "prompt" || source == "prompt_ask_vault_pass" {
		if prompt == nil {
			return Secret{}, ErrNoTerminal
		}
		text := "Vault password: "
		if source == "prompt" {
			text = fmt.Sprintf("Vault password (%s): ", label)
		}
		pw, err := prompt(text)
		if err != nil {
			return Secret{}, fmt.Errorf("vault password prompt (%s): %w", label, err)
		}
		pw = bytes.TrimSpace(pw)
		if len(pw) == 0 {
			return Secret{}, fmt.Errorf("vault password prompt (%s): empty password", label)
		}
		return Secret{ID: id, Password: pw, Source: "prompt"}, nil
	}
	path := expandHome(source)
	st, err := os.Stat(path)
	if err != nil {
		return Secret{}, fmt.Errorf("vault password file %s (vault id %q): %w", path, label, err)
	}
	var pw []byte
	what := "file"
	if st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
		what = "script"
		args := []string{}
		if strings.HasSuffix(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), "-client") && id != "" {
			args = append(args, "--vault-id", id)
		}
		cmd := exec.Command(path, args...)
		cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return Secret{}, fmt.Errorf("vault password script %s (vault id %q): %w", path, label, err)
		}
		pw = bytes.Trim(out, "\r\n")
	} else {
		f, err := os.Open(path)
		if err != nil {
			return Secret{}, fmt.Errorf("vault password file %s (vault id %q): %w", path, label, err)
		}
		b, err := io.ReadAll(io.LimitReader(f, 1<<20))
		f.Close()
		if err != nil {
			return Secret{}, fmt.Errorf("vault password file %s (vault id %q): %w", path, label, err)
		}
		pw = bytes.Trim(bytes.TrimSpace(b), "\r\n")
	}
	if len(pw) == 0 {
		return Secret{}, fmt.Errorf("vault password %s %s (vault id %q): empty password", what, path, label)
	}
	return Secret{ID: id, Password: pw, Source: what + " " + path}, nil
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}
