package domain

// UserError is a mistake in what the user typed or sent. Its Message is
// Chinese, says what to fix and shows an example; it is shown as is.
type UserError struct {
	Message string
}

func (e *UserError) Error() string { return e.Message }

// Userf returns a UserError.
func Userf(msg string) error { return &UserError{Message: msg} }
