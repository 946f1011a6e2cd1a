package bot

import "errors"

// Store errors. Test with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("changed concurrently")
	ErrUnavailable = errors.New("store unavailable")
)

// MsgBusy is what a user sees for any error that is not theirs.
const MsgBusy = "系统繁忙，请稍后再试。"
