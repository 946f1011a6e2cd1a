package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"songnuan/bot"
)

// pipelineGate is a hook that counts the batches' pipelines and holds
// each one until the test lets it go. A new connection's handshake, also
// a pipeline, passes.
type pipelineGate struct {
	sent    atomic.Int32
	cmds    chan int // each pipeline's command count, as it starts
	release chan struct{}
}

func (g *pipelineGate) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (g *pipelineGate) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (g *pipelineGate) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if name := cmds[0].Name(); name == "hello" || name == "client" || name == "auth" {
			return next(ctx, cmds)
		}
		g.sent.Add(1)
		g.cmds <- len(cmds)
		<-g.release
		return next(ctx, cmds)
	}
}

func gatedBatcher(t *testing.T) (*batcher, *pipelineGate, *redis.Client) {
	t.Helper()
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	g := &pipelineGate{cmds: make(chan int, 1000), release: make(chan struct{})}
	client.AddHook(g)
	b := newBatcher(client)
	t.Cleanup(func() {
		b.close()
		client.Close()
	})
	return b, g, client
}

// set queues SET key value through b and returns its result.
func set(ctx context.Context, b *batcher, key, value string) (string, error) {
	var cmd *redis.StatusCmd
	if err := b.do(ctx, func(p redis.Pipeliner) { cmd = p.Set(ctx, key, value, 0) }); err != nil {
		return "", err
	}
	return cmd.Result()
}

func TestBatcherGroupsCallersWhileConnectionsAreBusy(t *testing.T) {
	b, g, client := gatedBatcher(t)
	ctx := context.Background()
	const callers = 60

	var wg sync.WaitGroup
	errs := make(chan error, callers)
	call := func(i int) {
		defer wg.Done()
		if got, err := set(ctx, b, fmt.Sprintf("k%d", i), fmt.Sprint(i)); err != nil || got != "OK" {
			errs <- fmt.Errorf("caller %d: %q, %v", i, got, err)
		}
	}
	// Occupy every connection with a batch of one.
	for i := range batchConns {
		wg.Add(1)
		go call(i)
		if n := <-g.cmds; n != 1 {
			t.Fatalf("batch %d has %d commands, want the lone caller's 1", i, n)
		}
	}
	// The rest queue behind them.
	for i := batchConns; i < callers; i++ {
		wg.Add(1)
		go call(i)
	}
	waitFor(t, func() bool { return len(b.ops) == callers-batchConns-1 }) // one taken, waiting for a connection
	close(g.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := g.sent.Load(); n != batchConns+1 {
		t.Errorf("%d callers went in %d pipelines, want %d: the ones that queued together go together", callers, n, batchConns+1)
	}
	if n := <-g.cmds; n != callers-batchConns {
		t.Errorf("the third pipeline has %d commands, want %d", n, callers-batchConns)
	}
	for i := range callers {
		if v, err := client.Get(ctx, fmt.Sprintf("k%d", i)).Result(); err != nil || v != fmt.Sprint(i) {
			t.Errorf("k%d = %q, %v; want %d", i, v, err, i)
		}
	}
}

func TestBatcherCapsBatches(t *testing.T) {
	b, g, _ := gatedBatcher(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range batchConns {
		wg.Go(func() { _, _ = set(ctx, b, fmt.Sprintf("busy%d", i), "x") })
		<-g.cmds
	}
	// The channel holds maxBatch; the first of them waits for a connection.
	n := maxBatch + 1 + 10
	for i := range n {
		wg.Go(func() { _, _ = set(ctx, b, fmt.Sprintf("k%d", i), "x") })
	}
	waitFor(t, func() bool { return len(b.ops) == maxBatch })
	close(g.release)
	wg.Wait()
	close(g.cmds)
	for c := range g.cmds {
		if c > maxBatch {
			t.Errorf("a pipeline of %d commands, want at most %d", c, maxBatch)
		}
	}
}

func TestBatcherCommandErrorsStayWithTheirCaller(t *testing.T) {
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer client.Close()
	b := newBatcher(client)
	defer b.close()
	ctx := context.Background()
	mr.Lpush("list", "x")

	// Many at once, so that some share a pipeline with the failing one.
	var wg sync.WaitGroup
	var bad atomic.Int32
	for i := range 200 {
		wg.Go(func() {
			if i%50 == 0 {
				var incr *redis.IntCmd
				if err := b.do(ctx, func(p redis.Pipeliner) { incr = p.Incr(ctx, "list") }); err != nil {
					t.Errorf("batch of a failing command: %v", err)
					return
				}
				if err := incr.Err(); err == nil || !strings.Contains(err.Error(), "WRONGTYPE") {
					t.Errorf("INCR of a list: %v, want WRONGTYPE", err)
				}
				bad.Add(1)
				return
			}
			if got, err := set(ctx, b, fmt.Sprintf("k%d", i), "v"); err != nil || got != "OK" {
				t.Errorf("caller %d: %q, %v", i, got, err)
			}
		})
	}
	wg.Wait()
	if bad.Load() != 4 {
		t.Errorf("%d failing callers ran, want 4", bad.Load())
	}
}

func TestBatcherCallerGivesUp(t *testing.T) {
	b, g, _ := gatedBatcher(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := set(ctx, b, "k", "v")
		done <- err
	}()
	<-g.cmds
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("a caller whose context ended: %v, want context.Canceled", err)
	}
	// The others are not held up by it.
	close(g.release)
	if got, err := set(context.Background(), b, "k2", "v"); err != nil || got != "OK" {
		t.Errorf("next caller: %q, %v", got, err)
	}
}

func TestBatcherClosed(t *testing.T) {
	b, g, _ := gatedBatcher(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make(chan error, 10)
	for range batchConns {
		wg.Go(func() { _, err := set(ctx, b, "busy", "x"); results <- err })
		<-g.cmds
	}
	for range 3 {
		wg.Go(func() { _, err := set(ctx, b, "waiting", "x"); results <- err })
	}
	waitFor(t, func() bool { return len(b.ops) == 2 })
	closed := make(chan struct{})
	go func() { b.close(); close(closed) }()
	// Close waits for the batches in flight…
	select {
	case <-closed:
		t.Fatal("close returned with batches in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(g.release)
	<-closed
	wg.Wait()
	close(results)
	var ok, refused int
	for err := range results {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, bot.ErrUnavailable):
			refused++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	// …and refuses the callers still waiting, as a store that is down.
	if ok != batchConns || refused != 3 {
		t.Errorf("%d sent, %d refused; want %d sent and 3 refused", ok, refused, batchConns)
	}
	if _, err := set(ctx, b, "after", "x"); !errors.Is(err, bot.ErrUnavailable) {
		t.Errorf("a caller after close: %v, want ErrUnavailable", err)
	}
	b.close() // twice is fine
}

// waitFor polls cond until it holds, failing the test after a while.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
