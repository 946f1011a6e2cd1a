package bot

import (
	"errors"

	"songnuan/domain"
)

// Store errors. Test with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("changed concurrently")
	ErrUnavailable = errors.New("store unavailable")
)

// inferError is a user's mistake after which the message is read again
// as free text before the mistake is answered: it may mean something the
// router did not see (a name one character off, an amount without 元).
type inferError struct{ *domain.UserError }

func (e *inferError) Unwrap() error { return e.UserError }

// inferable returns a UserError after which the message is read again as
// free text (see inferError).
func inferable(msg string) error { return &inferError{&domain.UserError{Message: msg}} }

// MsgBusy is what a user sees for any error that is not theirs.
const MsgBusy = "系统繁忙，请稍后再试。"
