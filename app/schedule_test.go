package app_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"songnuan/app"
	"songnuan/schedule"
)

func TestLoadSchedule(t *testing.T) {
	s, err := app.LoadSchedule("")
	if err != nil || s.Name != schedule.Default().Name {
		t.Fatalf("built-in schedule = %v, %v", s, err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "schedule.yaml")
	data := strings.Replace(string(schedule.DefaultYAML()), "name: 甘泉路街道2024年元旦春节帮困送温暖", "name: 测试街道2025", 1)
	if err := os.WriteFile(good, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err = app.LoadSchedule(good); err != nil || s.Name != "测试街道2025" {
		t.Errorf("LoadSchedule(file) = %v, %v; want the file's schedule", s, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nphases: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var se *schedule.Error
	if _, err := app.LoadSchedule(bad); !errors.As(err, &se) {
		t.Errorf("LoadSchedule(bad file) = %v, want a *schedule.Error", err)
	}
	if _, err := app.LoadSchedule(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadSchedule(missing file) = %v, want os.ErrNotExist", err)
	}
}
