package app

import (
	"fmt"
	"os"

	"songnuan/bot"
)

// loadSchedule reads the campaign schedule at path, or returns the built-in
// one when path is empty.
func loadSchedule(path string) (*bot.Schedule, error) {
	if path == "" {
		return bot.DefaultSchedule(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read schedule: %w", err)
	}
	return bot.ParseSchedule(data, path)
}
