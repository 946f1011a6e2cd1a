package citygen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"songnuan/bot"
	"songnuan/domain"
	"songnuan/redact"
	"songnuan/sheet"
)

// List is one household list to import: its file name, its rows as the
// sheet reader gave them, and the hash of its bytes (the import's
// idempotency key, as for a file sent in chat).
type List struct {
	Name string
	Hash string
	Rows []bot.ImportRow
}

// ReadLists reads every .csv and .xlsx under dir with the bot's sheet
// reader, in name order.
func ReadLists(dir string) ([]List, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".csv" || ext == ".xlsx") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("%s 里没有 .csv 或 .xlsx 名单，请先运行 songnuan gen --out 目录", dir)
	}
	out := make([]List, 0, len(names))
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		rows, err := sheet.ReadRows(n, data)
		if err != nil {
			return nil, fmt.Errorf("读 %s：%w", n, err)
		}
		sum := sha256.Sum256(data)
		out = append(out, List{Name: n, Hash: hex.EncodeToString(sum[:12]), Rows: rows})
	}
	return out, nil
}

// LoadResult is what a parallel import did and how long it took.
type LoadResult struct {
	Lists     int
	Rows      int
	Created   int
	Updated   int
	Unchanged int
	Refused   int
	// FirstRefusal is the first refused row's reason (never an ID or
	// phone number), so a generator mistake shows at once.
	FirstRefusal string
	Elapsed      time.Duration
	Parallel     int
}

// RowsPerSecond is the import throughput: rows through parsing,
// validation, entitlement and the store's atomic step, per second.
func (r LoadResult) RowsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Rows) / r.Elapsed.Seconds()
}

// String is the result as `songnuan gen load` prints it.
func (r LoadResult) String() string {
	s := fmt.Sprintf("导入 %d 份名单 %d 行（并发 %d）：新增 %d，更新 %d，没有变化 %d，未导入 %d；用时 %.2f 秒，%.0f 行/秒",
		r.Lists, r.Rows, r.Parallel, r.Created, r.Updated, r.Unchanged, r.Refused, r.Elapsed.Seconds(), r.RowsPerSecond())
	if r.FirstRefusal != "" {
		s += "\n第一个未导入的行：" + r.FirstRefusal
	}
	return s
}

// Load imports lists through b.Import with parallel lists in flight, as
// committees sending their lists at once would. Each list is imported as
// the worker of its committee (the 居委 of its first row) when dir has
// one, else as admin. It stops at the first store error.
func Load(ctx context.Context, b *bot.Bot, dir domain.Directory, admin domain.Staff, lists []List, parallel int) (LoadResult, error) {
	parallel = max(1, parallel)
	workers := map[string]domain.Staff{}
	for _, s := range dir {
		if s.Role == domain.RoleWorker {
			if _, dup := workers[s.Committee]; !dup {
				workers[s.Committee] = s
			}
		}
	}
	actors := make([]domain.Staff, len(lists))
	for i, l := range lists {
		actors[i] = admin
		if len(l.Rows) > 0 {
			if w, ok := workers[strings.TrimSpace(l.Rows[0].Fields[sheet.ColCommittee])]; ok {
				actors[i] = w
			}
		}
	}

	res := LoadResult{Lists: len(lists), Parallel: parallel}
	reports := make([]bot.ImportReport, len(lists))
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		loadErr error
	)
	start := time.Now()
	for range min(parallel, len(lists)) {
		wg.Go(func() {
			for lctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(lists) {
					return
				}
				rep, err := b.Import(lctx, actors[i], lists[i].Name, lists[i].Rows, lists[i].Hash)
				if err != nil {
					errOnce.Do(func() { loadErr = fmt.Errorf("导入 %s：%w", lists[i].Name, err); cancel() })
					return
				}
				reports[i] = rep
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if loadErr == nil {
		loadErr = ctx.Err()
	}
	for i, rep := range reports {
		res.Rows += rep.Rows
		res.Created += rep.Created
		res.Updated += rep.Updated
		res.Unchanged += rep.Unchanged
		res.Refused += len(rep.Refused)
		if res.FirstRefusal == "" && len(rep.Refused) > 0 {
			p := rep.Refused[0]
			res.FirstRefusal = fmt.Sprintf("%s 第%d行：%s", lists[i].Name, p.Line, p.Reason)
		}
	}
	return res, loadErr
}

// VisitResult is what a round of visits did and how long it took.
type VisitResult struct {
	Committees int
	Visits     int // messages sent
	Recorded   int // answered 已记录
	// FirstOther is the first answer that was not 已记录 (masked), so a
	// visit the bot refused shows at once.
	FirstOther string
	Elapsed    time.Duration
}

// String is the result as `songnuan gen visit` prints it.
func (r VisitResult) String() string {
	s := fmt.Sprintf("走访 %d 个居委的 %d 户：记录 %d 户；用时 %.2f 秒，%.0f 条/秒",
		r.Committees, r.Visits, r.Recorded, r.Elapsed.Seconds(), float64(r.Visits)/max(r.Elapsed.Seconds(), 1e-9))
	if r.FirstOther != "" {
		s += "\n第一个没有记录的回复：" + r.FirstOther
	}
	return s
}

// Visit reports a first visit, paying what is due, for share (0 to 1) of
// each committee's not-yet-visited households, oldest first, as the
// committee's worker would in chat: one message per household through
// b.Handle, parallel committees at once. It is how a benchmark brings a
// loaded city to the middle of its campaign.
func Visit(ctx context.Context, b *bot.Bot, st bot.Store, dir domain.Directory, share float64, parallel int) (VisitResult, error) {
	workers := map[string]domain.Staff{}
	for _, s := range dir {
		if s.Role == domain.RoleWorker {
			if w, dup := workers[s.Committee]; !dup || s.UserID < w.UserID {
				workers[s.Committee] = s
			}
		}
	}
	committees := make([]string, 0, len(workers))
	for c := range workers {
		committees = append(committees, c)
	}
	sort.Strings(committees)

	res := VisitResult{Committees: len(committees)}
	var (
		next, visits, recorded atomic.Int64
		mu                     sync.Mutex
		wg                     sync.WaitGroup
		errOnce                sync.Once
		visitErr               error
	)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) { errOnce.Do(func() { visitErr = err; cancel() }) }
	base := strconv.FormatInt(time.Now().UnixNano(), 36)
	start := time.Now()
	for range min(max(1, parallel), len(committees)) {
		wg.Go(func() {
			for lctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(committees) {
					return
				}
				c, w := committees[i], workers[committees[i]]
				refs, total, err := st.Unvisited(lctx, c, 1<<20)
				if err != nil {
					fail(fmt.Errorf("待走访 %s：%w", c, err))
					return
				}
				n := min(len(refs), int(math.Ceil(share*float64(total))))
				for _, ref := range refs[:n] {
					h, err := st.Household(lctx, c, ref.Code)
					if err != nil {
						fail(fmt.Errorf("读 %s 编号%s：%w", c, ref.Code, err))
						return
					}
					paid := h.Entitlement.Total
					if paid <= 0 {
						paid = 500 // every item needs an amount stated: pay a plausible one
					}
					in := bot.Incoming{MsgID: base + "-" + strconv.Itoa(i) + "-" + ref.Code, From: w.UserID, MsgType: "text",
						Text: fmt.Sprintf("走访 %s 发放%d元", ref.Code, paid), At: time.Now()}
					rep, err := b.Handle(lctx, in)
					if err != nil {
						fail(fmt.Errorf("走访 %s 编号%s：%w", c, ref.Code, err))
						return
					}
					visits.Add(1)
					if strings.HasPrefix(rep.Text, "已记录") {
						recorded.Add(1)
						continue
					}
					mu.Lock()
					if res.FirstOther == "" {
						first, _, _ := strings.Cut(redact.Text(rep.Text+rep.Markdown), "\n")
						res.FirstOther = c + " 编号" + ref.Code + "：" + first
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Visits, res.Recorded = int(visits.Load()), int(recorded.Load())
	if visitErr == nil {
		visitErr = ctx.Err()
	}
	return res, visitErr
}
