// Package yamlcheck is the checking machinery the policy, schedule and
// config files share: it reads one YAML document into go.yaml.in/yaml/v3's
// node tree, walks its mappings, and collects every problem with its line,
// so whoever edits a file fixes all of it in one pass. What each file
// means, and the words each problem is put in, stay with its package.
//
// go.yaml.in/yaml/v3 (the maintained home of gopkg.in/yaml.v3) was kept
// rather than github.com/goccy/go-yaml: every node already carries its
// line, the bot reads the same files with it, and the syntax errors, their
// lines and the hints below are what the existing tests and `songnuan
// policy check` users know. goccy/go-yaml's richer AST and colour-annotated
// errors would add a dependency and change every syntax message and some
// lines without naming a single problem more.
package yamlcheck

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one mistake: where it is and what to write instead.
type Problem struct {
	Line int    // 1-based line in the file; 0 when the value did not come from a file
	Key  string // path of the key: items[3].fund, staff[1].role; "" for the file as a whole
	Env  string // environment variable the value came from (config only), "" otherwise
	Msg  string // what is wrong and how to fix it, with an example
}

// Error lists every problem found in one file, ordered by line; problems
// not from the file (Line 0) come last, in the order they were found.
// Test it with errors.As and compare Problems.
type Error struct {
	Source   string // the file's name as its user gave it; "" when there was none
	Problems []Problem
	layout   Layout
}

// Layout writes an Error's text: each file keeps the layout its users know.
type Layout func(source string, problems []Problem) string

// Lines returns one "policy.yaml:12: items[3].fund: 不能为空" line per
// problem, as a compiler would.
func (e *Error) Lines() []string {
	out := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		if p.Key == "" {
			out = append(out, fmt.Sprintf("%s:%d: %s", e.Source, p.Line, p.Msg))
		} else {
			out = append(out, fmt.Sprintf("%s:%d: %s: %s", e.Source, p.Line, p.Key, p.Msg))
		}
	}
	return out
}

// Error returns the problems in the file's layout; without one, Lines.
func (e *Error) Error() string {
	if e.layout != nil {
		return e.layout(e.Source, e.Problems)
	}
	return strings.Join(e.Lines(), "\n")
}

// NewError orders problems by line (those without one last, as found)
// and returns them as an *Error written in layout (nil: Lines).
func NewError(source string, problems []Problem, layout Layout) *Error {
	ps := slices.Clone(problems)
	slices.SortStableFunc(ps, func(a, b Problem) int { return cmp.Compare(rank(a), rank(b)) })
	return &Error{Source: source, Problems: ps, layout: layout}
}

func rank(p Problem) int {
	if p.Line > 0 {
		return p.Line
	}
	return int(^uint(0) >> 1)
}

// Words put the problems every YAML file can have in a file's language.
type Words struct {
	// Syntax words a syntax error: msg is the YAML library's text without
	// its "yaml: line N:" prefix, hint (Chinese) says what usually causes
	// it, or is "".
	Syntax func(msg, hint string) string
	// SecondDocument: the file holds a second document after "---".
	SecondDocument string
	// NotMapping: a mapping was wanted at key; known are its keys.
	NotMapping func(key string, known []string) string
	// KeyNotName: a key that is a list or a mapping.
	KeyNotName string
	// Merge: a "<<" merge key, which the files do not support.
	Merge string
	// Duplicate: a key written twice, first at line first.
	Duplicate func(first int) string
	// Unknown: key is none of known (name is its last part).
	Unknown func(key, name string, known []string) string
}

// Chinese are the words of the files the office's admins write: the
// policy and the schedule.
var Chinese = Words{
	Syntax: func(msg, hint string) string {
		if hint != "" {
			return "YAML 格式错误：" + hint + "（" + msg + "）"
		}
		return "YAML 格式错误：" + msg
	},
	SecondDocument: "文件里有第二个 YAML 文档：只留一个，删去 --- 那一行",
	NotMapping: func(_ string, known []string) string {
		return "应为映射（key: value），可用的键：" + strings.Join(known, "、")
	},
	KeyNotName: "键应是一个名字，写成 名字: 值",
	Merge:      "不支持合并键 <<，请把每个字段写全",
	Duplicate:  func(first int) string { return fmt.Sprintf("重复的字段（第%d行已有）", first) },
	Unknown: func(_, name string, known []string) string {
		if s := Suggest(name, known); s != "" {
			return "未知字段，是不是 " + s + "？"
		}
		return "未知字段，可用的键：" + strings.Join(known, "、")
	},
}

// Checker collects the problems of one file.
type Checker struct {
	words    Words
	problems []Problem
}

// New returns a Checker that words the common problems with w.
func New(w Words) *Checker { return &Checker{words: w} }

// Add records a problem at line.
func (c *Checker) Add(line int, key, format string, args ...any) {
	c.Report(Problem{Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// At records a problem at n's line (0 when n is nil).
func (c *Checker) At(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	c.Add(line, key, format, args...)
}

// Report records p as it is.
func (c *Checker) Report(p Problem) { c.problems = append(c.problems, p) }

// Problems returns what was recorded so far, in the order found.
func (c *Checker) Problems() []Problem { return c.problems }

// Err returns the problems as an *Error (see NewError), or nil when
// there are none.
func (c *Checker) Err(source string, layout Layout) error {
	if len(c.problems) == 0 {
		return nil
	}
	return NewError(source, c.problems, layout)
}

// Decode reads data as one YAML document and returns its root with
// aliases followed. It returns nil, true for an empty file (or one that
// is only null or comments), and nil, false after reporting a syntax
// error in it. A second document (or a syntax error after the first) is
// reported, and the first is still returned, so its problems are found
// too.
func (c *Checker) Decode(data []byte) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, true
		}
		c.syntax(data, err)
		return nil, false
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		c.Add(extra.Line, "", "%s", c.words.SecondDocument)
	case !errors.Is(err, io.EOF):
		c.syntax(data, err)
	}
	root := Deref(&doc)
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, true
		}
		root = Deref(root.Content[0])
	}
	if IsNull(root) {
		return nil, true
	}
	return root, true
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// parserErrors are the messages of the YAML library's parser (as opposed
// to its scanner). For these it gives the 0-based line of the construct
// the mistake is in, so one is added to point at that line.
var parserErrors = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"found undefined tag handle",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// hints put the usual YAML mistakes in words an admin can act on.
var hints = []struct{ en, zh string }{
	{"found a tab character", "缩进用了 Tab，请改用空格"},
	{"mapping values are not allowed", "冒号位置不对：缩进有误，或值里的冒号要加引号"},
	{"did not find expected key", "缩进不对齐"},
	{"did not find expected '-' indicator", "列表缩进不对齐"},
	{"did not find expected ',' or ']'", "方括号 [ ] 没有配对"},
	{"did not find expected ',' or '}'", "花括号 { } 没有配对"},
	{"found unexpected end of stream", "引号没有配对"},
	{"found character that cannot start any", "有不能开头的字符，如 Tab、@ 或 `"},
}

// syntax reports a syntax error at the line it is on: the library's line,
// corrected for its parser's errors and kept within the file (an error at
// the end of the stream is on the last line), or 1 when it gives none.
func (c *Checker) syntax(data []byte, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
		if slices.Contains(parserErrors, msg) {
			line++
		}
		line = max(1, min(line, bytes.Count(bytes.TrimRight(data, "\n"), []byte("\n"))+1))
	}
	hint := ""
	for _, h := range hints {
		if strings.Contains(msg, h.en) {
			hint = h.zh
			break
		}
	}
	c.Add(line, "", "%s", c.words.Syntax(msg, hint))
}

// Mapping walks mapping n at key. Each key in known goes to fn, in file
// order, as its node (k.Value is its name, k.Line its line) with its value
// (aliases followed) and its path; a repeated key, a
// key not in known, a merge key and a key that is not a name are reported
// instead. It returns the keys given to fn with the line of each value,
// or nil when n is not a mapping (reported).
func (c *Checker) Mapping(n *yaml.Node, key string, known []string, fn func(k, v *yaml.Node, path string)) map[string]int {
	n = Deref(n)
	if n.Kind != yaml.MappingNode {
		c.At(n, key, "%s", c.words.NotMapping(key, known))
		return nil
	}
	seen := map[string]int{}
	keyLine := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], Deref(n.Content[i+1])
		path := Join(key, k.Value)
		switch {
		case k.Kind != yaml.ScalarNode:
			c.At(k, key, "%s", c.words.KeyNotName)
		case k.Value == "<<":
			c.At(k, path, "%s", c.words.Merge)
		case keyLine[k.Value] > 0:
			c.At(k, path, "%s", c.words.Duplicate(keyLine[k.Value]))
		case !slices.Contains(known, k.Value):
			keyLine[k.Value] = k.Line
			c.At(k, path, "%s", c.words.Unknown(path, k.Value, known))
		default:
			keyLine[k.Value] = k.Line
			seen[k.Value] = v.Line
			fn(k, v, path)
		}
	}
	return seen
}

// Deref follows aliases (*anchor) to the node they name.
func Deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// IsNull reports whether n is missing or an empty value (key: or ~).
func IsNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// Join is the path of name under key.
func Join(key, name string) string {
	if key == "" {
		return name
	}
	return key + "." + name
}

// Suggest names the known key closest to a misspelt one, or "" when none
// is close.
func Suggest(name string, known []string) string {
	best, bestD := "", 3
	lower := strings.ToLower(name)
	for _, k := range known {
		d := distance(lower, k)
		if strings.ReplaceAll(lower, "-", "_") == k || strings.ReplaceAll(k, "_", "") == lower {
			d = 0
		}
		if d < bestD {
			best, bestD = k, d
		}
	}
	return best
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
