package client

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/xlvs/xlvs/ctrl/api"
)

// DefaultSocket is where xlvsd listens unless told otherwise.
const DefaultSocket = "/run/xlvs/xlvs.sock"

// SocketPath returns $XLVS_SOCKET when set, else DefaultSocket.
func SocketPath() string {
	if p := os.Getenv("XLVS_SOCKET"); p != "" {
		return p
	}
	return DefaultSocket
}

// Client is one connection to xlvsd. Not safe for concurrent use.
type Client struct {
	c   net.Conn
	r   *bufio.Reader
	enc *json.Encoder
}

// Dial connects to the daemon at path.
func Dial(path string) (*Client, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &Client{c: c, r: bufio.NewReaderSize(c, 64<<10), enc: json.NewEncoder(c)}, nil
}

// Do sends req and returns the daemon's response. A transport failure is
// returned as an error; a refused request comes back in Response.Err.
func (c *Client) Do(req *api.Request) (*api.Response, error) {
	c.c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := c.enc.Encode(req); err != nil {
		return nil, fmt.Errorf("send request: %w", err)
	}
	line, err := c.r.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	var resp api.Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	return &resp, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.c.Close() }
