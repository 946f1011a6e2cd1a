package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"songnuan/domain"
)

// Load builds a Config from Default(), the YAML file at path (none when
// path is ""), and the environment as env reports it (os.LookupEnv in
// production; nil means no environment), then validates it. On any
// problem it returns an *Error listing all of them; the Config returned
// with it is as far as loading got and must not be served.
func Load(path string, env func(string) (string, bool)) (Config, error) {
	c := Default()
	l := &loader{file: path, src: map[string]source{}, failed: map[string]bool{}}
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
		if err := c.Validate(); errors.As(err, &v) {
			for _, p := range v.Problems {
				if !l.hasFailed(p.Key) {
					l.problems = append(l.problems, p)
				}
			}
		}
	}
	if len(l.problems) == 0 {
		return c, nil
	}
	return c, newError(path, l.problems)
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
	file     string
	problems []Problem
	src      map[string]source
	// failed keys could not be read; Validate's complaints about them (or
	// anything under them) would only repeat the problem.
	failed map[string]bool
}

func (l *loader) problem(key string, line int, env, msg string) {
	l.problems = append(l.problems, Problem{Key: key, Line: line, Env: env, Msg: msg})
	l.failed[key] = true
}

// hasFailed reports whether key or one of its parents could not be read.
func (l *loader) hasFailed(key string) bool {
	for k := key; ; k = parentKey(k) {
		if l.failed[k] {
			return true
		}
		if k == "" {
			return false
		}
	}
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

var yamlLine = regexp.MustCompile(`line (\d+)`)

// loadFile reads the file's settings into c. It returns false when the
// file as a whole is unusable (bad YAML, not a mapping), in which case the
// config is too incomplete to validate.
func (l *loader) loadFile(c *Config, data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return true // an empty file sets nothing
		}
		l.syntax(err)
		return false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		if err != nil {
			l.syntax(err)
		} else {
			l.problem("", extra.Line, "", "holds a second YAML document; keep one (remove the --- line)")
		}
		return false
	}
	root := deref(&doc)
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = deref(root.Content[0])
	}
	if isNull(root) {
		return true
	}
	if root.Kind != yaml.MappingNode {
		l.problem("", root.Line, "", `must be a mapping of settings, e.g. http_addr: ":8080"`)
		return false
	}
	l.mapping(c, root, "")
	return true
}

func (l *loader) syntax(err error) {
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimSpace(yamlLine.ReplaceAllString(msg, ""))
	msg = strings.TrimPrefix(msg, ": ")
	l.problem("", line, "", "is not valid YAML: "+msg+`; check indentation and quoting, e.g. token: "QDG6eK"`)
}

// mapping reads the keys of one mapping: the file itself or a section.
func (l *loader) mapping(c *Config, n *yaml.Node, prefix string) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		key := joinKey(prefix, k.Value)
		if k.Kind != yaml.ScalarNode {
			l.problem(prefix, k.Line, "", "has a key that is not a name; write name: value")
			continue
		}
		if k.Value == "<<" {
			l.problem(key, k.Line, "", "merge keys are not supported; write the settings out in full")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			l.problem(key, k.Line, "", fmt.Sprintf("is set twice (first at line %d); keep one", first))
			continue
		}
		seen[k.Value] = k.Line
		if isSection(key) {
			l.src[key] = source{line: k.Line}
			switch {
			case isNull(v):
			case v.Kind != yaml.MappingNode:
				l.problem(key, v.Line, "", fmt.Sprintf("must be a mapping, e.g. %s: {%s: %s}", k.Value, sectionExample(key).name, sectionExample(key).example))
			default:
				l.mapping(c, v, key)
			}
			continue
		}
		f, ok := fieldByKey(key)
		if !ok {
			l.problem(key, k.Line, "", "is not a setting"+suggest(k.Value, keysUnder(prefix)))
			continue
		}
		l.src[key] = source{line: v.Line}
		if f.list != nil {
			l.src[key] = source{line: k.Line} // a block list starts on the next line
		}
		switch {
		case isNull(v):
			// an empty value keeps the default
		case f.list != nil:
			f.list(l, c, key, v)
		case v.Kind != yaml.ScalarNode:
			l.problem(key, v.Line, "", fmt.Sprintf("must be a single value, e.g. %s: %s", k.Value, f.example))
		default:
			if err := f.set(c, v.Value); err != nil {
				l.problem(key, v.Line, "", err.Error())
			}
		}
	}
}

// userids reads a list of userids: [a, b] or one per line.
func (l *loader) userids(key string, n *yaml.Node) []string {
	if n.Kind != yaml.SequenceNode {
		l.problem(key, n.Line, "", fmt.Sprintf("must be a list of userids, e.g. %s: [zhao, admin]", lastKey(key)))
		return nil
	}
	ids := []string{} // not nil: an explicit empty list means nobody
	for i, item := range n.Content {
		item = deref(item)
		k := fmt.Sprintf("%s[%d]", key, i)
		l.src[k] = source{line: item.Line}
		if item.Kind != yaml.ScalarNode || isNull(item) {
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
		item = deref(item)
		ik := fmt.Sprintf("%s[%d]", key, i)
		l.src[ik] = source{line: item.Line}
		if item.Kind != yaml.MappingNode {
			l.problem(ik, item.Line, "", "must be a mapping, e.g. - {userid: wang, name: 王芳, role: worker, committee: 甘泉一村}")
			continue
		}
		var s domain.Staff
		seen := map[string]int{}
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, v := item.Content[j], deref(item.Content[j+1])
			fk := ik + "." + k.Value
			if first, dup := seen[k.Value]; dup {
				l.problem(fk, k.Line, "", fmt.Sprintf("is set twice (first at line %d); keep one", first))
				continue
			}
			seen[k.Value] = k.Line
			if !contains(staffKeys, k.Value) {
				l.problem(fk, k.Line, "", "is not a staff field"+suggest(k.Value, staffKeys))
				continue
			}
			l.src[fk] = source{line: v.Line}
			if isNull(v) {
				continue
			}
			if v.Kind != yaml.ScalarNode {
				l.problem(fk, v.Line, "", fmt.Sprintf("must be a single value, e.g. %s: %s", k.Value, staffExample[k.Value]))
				continue
			}
			switch k.Value {
			case "userid":
				s.UserID = v.Value
			case "name":
				s.Name = v.Value
			case "role":
				s.Role = domain.Role(v.Value)
			case "committee":
				s.Committee = v.Value
			}
		}
		c.Staff = append(c.Staff, s)
	}
}

var staffExample = map[string]string{"userid": "wang", "name": "王芳", "role": "worker", "committee": "甘泉一村"}

// deref follows YAML aliases (*anchor) to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

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

// suggest names the known key closest to a misspelt one, if any is close.
func suggest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		d := distance(strings.ToLower(name), k)
		if strings.ReplaceAll(strings.ToLower(name), "-", "_") == k || strings.ReplaceAll(k, "_", "") == strings.ToLower(name) {
			d = 0
		}
		if d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return "; known keys are " + strings.Join(known, ", ")
	}
	return "; did you mean " + best + "?"
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
