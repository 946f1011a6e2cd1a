package config

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"songnuan/domain"
	"songnuan/internal/yamlcheck"
)

// Load builds a Config from Default(), the YAML file at path (none when
// path is ""), and the environment as env reports it (os.LookupEnv in
// production; nil means no environment), then validates it. On any
// problem it returns an *Error listing all of them; the Config returned
// with it is as far as loading got and must not be served.
func Load(path string, env func(string) (string, bool)) (Config, error) {
	c := Default()
	l := newLoader()
	c.src = l.src
	readable := true
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			l.problem("", 0, "", fmt.Sprintf("cannot read the file (%v); give the path of a YAML file, e.g. -config /etc/songnuan/config.yaml", unwrapPath(err)))
			readable = false
		} else {
			readable = l.loadFile(&c, data)
		}
	}
	l.loadEnv(&c, env)
	if readable {
		var v *Error
		read := l.Problems() // what could not be read, before Validate adds to it
		if err := c.Validate(); errors.As(err, &v) {
			for _, p := range v.Problems {
				if !failed(read, p.Key) {
					l.Report(p)
				}
			}
		}
	}
	if err := l.Err(path, layout); err != nil {
		return c, err
	}
	return c, nil
}

// unwrapPath drops the path os.ReadFile repeats, since the error names the
// file once already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loader collects problems while reading a file and the environment.
type loader struct {
	*yamlcheck.Checker
	src map[string]source
}

func newLoader() *loader {
	return &loader{Checker: yamlcheck.New(words), src: map[string]source{}}
}

// words are the loader's English for the problems any YAML file can have.
var words = yamlcheck.Words{
	Syntax: func(msg, _ string) string {
		return "is not valid YAML: " + msg + `; check indentation and quoting, e.g. token: "QDG6eK"`
	},
	SecondDocument: "holds a second YAML document; keep one (remove the --- line)",
	// The loader checks each mapping's shape itself, with an example.
	NotMapping: func(string, []string) string { return "must be a mapping of name: value" },
	KeyNotName: "has a key that is not a name; write name: value",
	Merge:      "merge keys are not supported; write the settings out in full",
	Duplicate:  func(first int) string { return fmt.Sprintf("is set twice (first at line %d); keep one", first) },
	Unknown: func(key, name string, known []string) string {
		what := "a setting"
		if strings.HasPrefix(key, "staff[") {
			what = "a staff field"
		}
		if s := yamlcheck.Suggest(name, known); s != "" {
			return "is not " + what + "; did you mean " + s + "?"
		}
		return "is not " + what + "; known keys are " + strings.Join(known, ", ")
	},
}

func (l *loader) problem(key string, line int, env, msg string) {
	l.Report(Problem{Key: key, Line: line, Env: env, Msg: msg})
}

// failed reports whether key or one of its parents could not be read (has
// one of problems): Validate's complaints about it would only repeat them.
func failed(problems []Problem, key string) bool {
	for _, p := range problems {
		for k := key; ; k = parentKey(k) {
			if p.Key == k {
				return true
			}
			if k == "" {
				break
			}
		}
	}
	return false
}

// loadEnv applies the variables of the settings table. Set-but-empty
// variables are skipped (see the package doc).
func (l *loader) loadEnv(c *Config, env func(string) (string, bool)) {
	if env == nil {
		return
	}
	for _, f := range fields {
		if f.env == "" {
			continue
		}
		v, ok := env(f.env)
		v = strings.TrimSpace(v)
		if !ok || v == "" {
			continue
		}
		l.src[f.key] = source{env: f.env}
		if err := f.set(c, v); err != nil {
			l.problem(f.key, 0, f.env, err.Error())
		}
	}
}

// loadFile reads the file's settings into c. It returns false when the
// file as a whole is unusable (bad YAML, not a mapping), in which case the
// config is too incomplete to validate.
func (l *loader) loadFile(c *Config, data []byte) bool {
	root, ok := l.Decode(data)
	switch {
	case !ok:
		return false
	case root == nil:
		return true // an empty file sets nothing
	case root.Kind != yaml.MappingNode:
		l.problem("", root.Line, "", `must be a mapping of settings, e.g. http_addr: ":8080"`)
		return false
	}
	l.mapping(c, root, "")
	return true
}

// mapping reads the keys of one mapping: the file itself or a section.
func (l *loader) mapping(c *Config, n *yaml.Node, prefix string) {
	l.Mapping(n, prefix, keysUnder(prefix), func(k, v *yaml.Node, key string) {
		name := k.Value
		if isSection(key) {
			l.src[key] = source{line: k.Line}
			switch {
			case yamlcheck.IsNull(v):
			case v.Kind != yaml.MappingNode:
				l.problem(key, v.Line, "", fmt.Sprintf("must be a mapping, e.g. %s: {%s: %s}", name, sectionExample(key).name, sectionExample(key).example))
			default:
				l.mapping(c, v, key)
			}
			return
		}
		f, _ := fieldByKey(key)
		l.src[key] = source{line: v.Line}
		if f.list != nil {
			l.src[key] = source{line: k.Line} // a block list starts on the next line
		}
		switch {
		case yamlcheck.IsNull(v):
			// an empty value keeps the default
		case f.list != nil:
			f.list(l, c, key, v)
		case v.Kind != yaml.ScalarNode:
			l.problem(key, v.Line, "", fmt.Sprintf("must be a single value, e.g. %s: %s", name, f.example))
		default:
			if err := f.set(c, v.Value); err != nil {
				l.problem(key, v.Line, "", err.Error())
			}
		}
	})
}

// userids reads a list of userids: [a, b] or one per line.
func (l *loader) userids(key string, n *yaml.Node) []string {
	if n.Kind != yaml.SequenceNode {
		l.problem(key, n.Line, "", fmt.Sprintf("must be a list of userids, e.g. %s: [zhao, admin]", lastKey(key)))
		return nil
	}
	ids := []string{} // not nil: an explicit empty list means nobody
	for i, item := range n.Content {
		item = yamlcheck.Deref(item)
		k := fmt.Sprintf("%s[%d]", key, i)
		l.src[k] = source{line: item.Line}
		if item.Kind != yaml.ScalarNode || yamlcheck.IsNull(item) {
			l.problem(k, item.Line, "", "must be a userid, e.g. zhao")
			continue
		}
		ids = append(ids, item.Value)
	}
	return ids
}

// staffKeys are the keys of one staff entry, in the order they are
// documented.
var staffKeys = []string{"userid", "name", "role", "committee"}

func decodeStaff(l *loader, c *Config, key string, n *yaml.Node) {
	const example = "staff: [{userid: wang, name: 王芳, role: worker, committee: 甘泉一村}]"
	if n.Kind != yaml.SequenceNode {
		l.problem(key, n.Line, "", "must be a list, e.g. "+example)
		return
	}
	c.Staff = make([]domain.Staff, 0, len(n.Content))
	for i, item := range n.Content {
		item = yamlcheck.Deref(item)
		ik := fmt.Sprintf("%s[%d]", key, i)
		l.src[ik] = source{line: item.Line}
		if item.Kind != yaml.MappingNode {
			l.problem(ik, item.Line, "", "must be a mapping, e.g. - {userid: wang, name: 王芳, role: worker, committee: 甘泉一村}")
			continue
		}
		var s domain.Staff
		l.Mapping(item, ik, staffKeys, func(k, v *yaml.Node, fk string) {
			name := k.Value
			l.src[fk] = source{line: v.Line}
			switch {
			case yamlcheck.IsNull(v):
			case v.Kind != yaml.ScalarNode:
				l.problem(fk, v.Line, "", fmt.Sprintf("must be a single value, e.g. %s: %s", name, staffExample[name]))
			case name == "userid":
				s.UserID = v.Value
			case name == "name":
				s.Name = v.Value
			case name == "role":
				s.Role = domain.Role(v.Value)
			case name == "committee":
				s.Committee = v.Value
			}
		})
		c.Staff = append(c.Staff, s)
	}
}

var staffExample = map[string]string{"userid": "wang", "name": "王芳", "role": "worker", "committee": "甘泉一村"}

// parentKey strips the last ".name" or "[i]" of a key; "" has no parent.
func parentKey(key string) string {
	i := strings.LastIndexAny(key, ".[")
	if i < 0 {
		return ""
	}
	return key[:i]
}

func lastKey(key string) string {
	if i := strings.LastIndex(key, "."); i >= 0 {
		return key[i+1:]
	}
	return key
}

// isSection reports whether key is a mapping of settings ("wecom").
func isSection(key string) bool {
	for _, f := range fields {
		if strings.HasPrefix(f.key, key+".") {
			return true
		}
	}
	return false
}

// sectionExample is the first setting of a section, for messages.
func sectionExample(section string) struct{ name, example string } {
	for _, f := range fields {
		if strings.HasPrefix(f.key, section+".") {
			return struct{ name, example string }{lastKey(f.key), f.example}
		}
	}
	return struct{ name, example string }{}
}

// keysUnder lists the names directly under prefix, for suggestions.
func keysUnder(prefix string) []string {
	var names []string
	for _, f := range fields {
		rest, ok := f.key, prefix == ""
		if prefix != "" {
			rest, ok = strings.CutPrefix(f.key, prefix+".")
		}
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, ".")
		if !contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
