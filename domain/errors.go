package domain

// UserError is a mistake in what the user typed or sent. Its Message is
// Chinese, says what to fix and shows an example; it is shown as is.
type UserError struct {
	Message string
}

func (e *UserError) Error() string { return e.Message }

// Userf returns a UserError.
func Userf(msg string) error { return &UserError{Message: msg} }

// MsgFileTooLarge answers a file over the 20 MiB a list may have, whether
// the download or the reader found it.
const MsgFileTooLarge = "文件超过 20MB：请按居委拆成几个文件分别发送，每个不超过 5 万行"
