package bot

import "errors"

// Store errors. Test with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("changed concurrently")
	ErrUnavailable = errors.New("store unavailable")
)

// UserError is a mistake in what the user typed or sent. Its Message is
// Chinese, says what to fix and shows an example; it is shown as is.
type UserError struct {
	Message string
	// infer: the message may mean something the router did not see (a
	// name one character off, an amount without 元), so it is read again
	// as free text before this answer is given.
	infer bool
}

func (e *UserError) Error() string { return e.Message }

// Userf returns a UserError.
func Userf(msg string) error { return &UserError{Message: msg} }

// inferable returns a UserError after which the message is read again as
// free text (see UserError).
func inferable(msg string) error { return &UserError{Message: msg, infer: true} }

// MsgBusy is what a user sees for any error that is not theirs.
const MsgBusy = "系统繁忙，请稍后再试。"
