package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// FakeAPIPath is where a bot in demo mode mounts the fake WeCom API.
const FakeAPIPath = "/_fake/wecom"

// ErrNoFakeAPI means the bot has no fake WeCom API: it is not in demo
// mode, and pushed messages and uploads go through the real WeCom.
var ErrNoFakeAPI = errors.New("the bot serves no fake WeCom API (not in demo mode)")

// apiError is a WeCom-shaped answer with errcode != 0.
type apiError struct {
	Op   string
	Code int
	Msg  string
}

func (e *apiError) Error() string { return fmt.Sprintf("%s: errcode %d: %s", e.Op, e.Code, e.Msg) }

// callJSON calls the fake API and decodes a WeCom-shaped JSON answer. The
// URL is never part of an error: it may hold an access token.
func (c *Client) callJSON(req *http.Request, op string, v any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return ErrNoFakeAPI
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s: read: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", op, resp.StatusCode)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s: decode: %w", op, err)
	}
	return nil
}

type wecomStatus struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// token fetches an access token from the fake API with the app secret.
func (c *Client) token(ctx context.Context) (string, error) {
	q := url.Values{"corpid": {c.creds.CorpID}, "corpsecret": {c.creds.Secret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+FakeAPIPath+"/cgi-bin/gettoken?"+q.Encode(), nil)
	if err != nil {
		return "", fmt.Errorf("gettoken: %w", err)
	}
	var r struct {
		wecomStatus
		AccessToken string `json:"access_token"`
	}
	if err := c.callJSON(req, "gettoken", &r); err != nil {
		return "", err
	}
	if r.ErrCode != 0 || r.AccessToken == "" {
		return "", &apiError{Op: "gettoken", Code: r.ErrCode, Msg: r.ErrMsg}
	}
	return r.AccessToken, nil
}

// Upload puts a file in the fake API's temporary media, as WeCom holds a
// file a user sends, and returns its media id for a file message.
func (c *Client) Upload(ctx context.Context, name string, data []byte) (string, error) {
	tok, err := c.token(ctx)
	if err != nil {
		return "", err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("media", name)
	if err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	if _, err := fw.Write(data); err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	if err := mw.Close(); err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	q := url.Values{"access_token": {tok}, "type": {"file"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+FakeAPIPath+"/cgi-bin/media/upload?"+q.Encode(), &body)
	if err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var r struct {
		wecomStatus
		MediaID string `json:"media_id"`
	}
	if err := c.callJSON(req, "upload", &r); err != nil {
		return "", err
	}
	if r.ErrCode != 0 || r.MediaID == "" {
		return "", &apiError{Op: "upload", Code: r.ErrCode, Msg: r.ErrMsg}
	}
	return r.MediaID, nil
}

// Pushed returns the messages the bot pushed to user after sequence
// number since, oldest first, from the fake API's record. It returns
// ErrNoFakeAPI when the bot is not in demo mode.
func (c *Client) Pushed(ctx context.Context, user string, since int64) ([]Pushed, error) {
	q := url.Values{"user": {user}, "since": {strconv.FormatInt(since, 10)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+FakeAPIPath+"/_fake/sent?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("sent: %w", err)
	}
	var recs []Pushed
	if err := c.callJSON(req, "sent", &recs); err != nil {
		return nil, err
	}
	return recs, nil
}

// Media downloads a file from the fake API's temporary media, as a WeCom
// client downloads a file the bot sent.
func (c *Client) Media(ctx context.Context, mediaID string) ([]byte, error) {
	tok, err := c.token(ctx)
	if err != nil {
		return nil, err
	}
	q := url.Values{"access_token": {tok}, "media_id": {mediaID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+FakeAPIPath+"/cgi-bin/media/get?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("media: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, ErrNoFakeAPI
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("media: HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxUpload+1))
	if err != nil {
		return nil, fmt.Errorf("media: read: %w", err)
	}
	// WeCom answers a failure with JSON instead of the file.
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		var st wecomStatus
		if json.Unmarshal(data, &st) == nil && st.ErrCode != 0 {
			if st.ErrCode == 40007 {
				return nil, errors.New("文件已过期或不存在（演示接口只保留最近的文件）")
			}
			return nil, &apiError{Op: "media", Code: st.ErrCode, Msg: st.ErrMsg}
		}
	}
	return data, nil
}
