package yamlcheck

import (
	"errors"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// problemsOf decodes data and walks its top mapping with known keys.
func problemsOf(data string, known ...string) []Problem {
	c := New(Chinese)
	if root, ok := c.Decode([]byte(data)); ok && root != nil {
		c.Mapping(root, "", known, func(_, _ *yaml.Node, _ string) {})
	}
	return c.Problems()
}

func TestSyntaxErrorLines(t *testing.T) {
	tests := []struct {
		name, data string
		line       int
	}{
		{"a scanner error: its own line", "a: 1\n\tb: 2\n", 2},
		{"a parser error: the line of the construct", "a: [\"1\"\nb: 2\n", 2},
		{"at the end of the stream: the last line, not past it", "a: x\nb: [\n", 2},
		{"no line from the library: the first", "a: \x01\n", 1},
		{"a second document: where it starts", "a: 1\n---\nb: 2\n", 2},
		{"a syntax error in a second document", "a: 1\n---\nb: [\n", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(tt.data, "a", "b")
			if len(got) != 1 || got[0].Line != tt.line || got[0].Msg == "" {
				t.Errorf("problems = %+v, want one at line %d", got, tt.line)
			}
		})
	}
}

func TestEmptyFilesAreNotErrors(t *testing.T) {
	for _, data := range []string{"", "# only a comment\n", "~\n", "---\n"} {
		c := New(Chinese)
		if root, ok := c.Decode([]byte(data)); root != nil || !ok || len(c.Problems()) > 0 {
			t.Errorf("Decode(%q) = %v, %v, %+v; want nothing and no problem", data, root, ok, c.Problems())
		}
	}
}

func TestMappingReportsEveryKeyProblem(t *testing.T) {
	data := "name: a\nnmae: b\nname: c\n<<: {x: 1}\n[k]: v\nmode: 1\n"
	got := problemsOf(data, "name", "mode")
	want := []Problem{
		{Line: 2, Key: "nmae", Msg: "未知字段，是不是 name？"},
		{Line: 3, Key: "name", Msg: "重复的字段（第1行已有）"},
		{Line: 4, Key: "<<", Msg: Chinese.Merge},
		{Line: 5, Key: "", Msg: Chinese.KeyNotName},
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems\n got %+v\nwant %+v", got, want)
	}
}

func TestMappingFollowsAliasesAndGivesValueLines(t *testing.T) {
	c := New(Chinese)
	root, _ := c.Decode([]byte("base: &b\n  x: 1\ncopy: *b\nn:\n  7\n"))
	var kinds []yaml.Kind
	lines := c.Mapping(root, "", []string{"base", "copy", "n"}, func(_, v *yaml.Node, _ string) { kinds = append(kinds, v.Kind) })
	if !slices.Equal(kinds, []yaml.Kind{yaml.MappingNode, yaml.MappingNode, yaml.ScalarNode}) || lines["n"] != 5 || len(c.Problems()) > 0 {
		t.Errorf("kinds %v, lines %v, problems %+v", kinds, lines, c.Problems())
	}
}

func TestErrorOrdersByLineThenTheRest(t *testing.T) {
	c := New(Chinese)
	c.Add(0, "data_key", "is missing")
	c.Add(9, "b", "second")
	c.Report(Problem{Env: "LOG_LEVEL", Key: "log_level", Msg: "is loud"})
	c.Add(3, "a", "first")
	var e *Error
	if err := c.Err("f.yaml", nil); !errors.As(err, &e) {
		t.Fatalf("Err = %v, want an *Error", err)
	}
	var keys []string
	for _, p := range e.Problems {
		keys = append(keys, p.Key)
	}
	if want := []string{"a", "b", "data_key", "log_level"}; !slices.Equal(keys, want) {
		t.Errorf("order %v, want %v", keys, want)
	}
	if got, want := e.Lines()[0], "f.yaml:3: a: first"; got != want {
		t.Errorf("Lines()[0] = %q, want %q", got, want)
	}
	if New(Chinese).Err("f.yaml", nil) != nil {
		t.Error("Err without problems is not nil")
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"http_addr", "corp_id", "aliases"}
	for in, want := range map[string]string{"http_adr": "http_addr", "corpid": "corp_id", "CORP-ID": "corp_id", "alias": "aliases", "colour": ""} {
		if got := Suggest(in, known); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
