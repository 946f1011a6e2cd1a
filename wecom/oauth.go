package wecom

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
)

// DefaultOAuthBase is where WeCom's in-app browser is sent to sign a user
// in silently (snsapi_base).
const DefaultOAuthBase = "https://open.weixin.qq.com"

// AuthorizeURL is the OAuth2 address that sends a WeCom user back to
// redirectURI with ?code=…&state=…. silenceper's work/oauth is not used:
// its hosts are fixed (no fake can stand in), it always sends
// state=STATE (no CSRF protection) and it leaves out agentid.
func AuthorizeURL(oauthBase, corpID, agentID, redirectURI, state string) string {
	// WeCom reads the parameters in its documented order, which
	// url.Values.Encode would sort away.
	return oauthBase + "/connect/oauth2/authorize?appid=" + url.QueryEscape(corpID) +
		"&redirect_uri=" + url.QueryEscape(redirectURI) + "&response_type=code&scope=snsapi_base&state=" +
		url.QueryEscape(state) + "&agentid=" + url.QueryEscape(agentID) + "#wechat_redirect"
}

// CodeInvalid is WeCom's errcode for an OAuth code that is unknown, used
// or expired.
const CodeInvalid = 40029

// ErrNotMember is UserIDFromCode's answer for a code of someone outside
// the organisation (WeCom gives an openid and no userid).
var ErrNotMember = errors.New("wecom: the user is not a member of the organisation")

type userInfoAnswer struct {
	apiStatus
	UserID string `json:"userid"`
	OpenID string `json:"openid"`
}

// UserIDFromCode exchanges an OAuth code for the member's userid
// (auth/getuserinfo). A code works once: a reused or expired one is an
// *APIError with Code CodeInvalid.
func (c *Client) UserIDFromCode(ctx context.Context, code string) (string, error) {
	var ans userInfoAnswer
	err := c.withToken(ctx, func(tok string) error {
		return c.do(ctx, http.MethodGet, "auth/getuserinfo", url.Values{"access_token": {tok}, "code": {code}}, "", nil, &ans)
	})
	if err != nil {
		return "", err
	}
	if ans.UserID == "" {
		return "", ErrNotMember
	}
	return ans.UserID, nil
}

// MenuButton is one button of the app's menu: a click (Key) or a view
// (URL), or a group of at most five SubButtons.
type MenuButton struct {
	Type       string       `json:"type,omitempty"` // click or view
	Name       string       `json:"name"`
	Key        string       `json:"key,omitempty"`
	URL        string       `json:"url,omitempty"`
	SubButtons []MenuButton `json:"sub_button,omitempty"`
}

// CreateMenu sets the app's menu (menu/create): at most three buttons,
// each with at most five sub-buttons. silenceper has no menu package.
func (c *Client) CreateMenu(ctx context.Context, buttons []MenuButton) error {
	if len(buttons) == 0 || len(buttons) > 3 {
		return errors.New("wecom menu: 1 to 3 buttons")
	}
	for _, b := range buttons {
		if len(b.SubButtons) > 5 {
			return errors.New("wecom menu: at most 5 sub-buttons under " + b.Name)
		}
	}
	if !c.hasAgent {
		return errors.New("wecom menu: WECOM_AGENT_ID is not set")
	}
	body, err := marshal(map[string]any{"button": buttons})
	if err != nil {
		return err
	}
	var ans apiStatus
	return c.withToken(ctx, func(tok string) error {
		q := url.Values{"access_token": {tok}, "agentid": {strconv.Itoa(c.agentID)}}
		return c.do(ctx, http.MethodPost, "menu/create", q, "application/json; charset=utf-8", body, &ans)
	})
}
