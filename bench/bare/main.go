// Command bare is the floor the benchmark compares tableau-mcp with: an
// mcp-go server and nothing else, with as many trivial tools as tableau-mcp
// serves (56), over stdio or streamable HTTP.
//
//	bare                        serve MCP over stdio
//	bare -listen 127.0.0.1:0    serve streamable HTTP at /mcp; prints the URL on stderr
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Tools is how many tools the bare server offers: tableau-mcp's number.
const Tools = 56

func main() {
	listen := flag.String("listen", "", "serve streamable HTTP on this address instead of stdio")
	flag.Parse()
	s := newServer()
	if *listen == "" {
		if err := server.ServeStdio(s); err != nil {
			fmt.Fprintln(os.Stderr, "bare:", err)
			os.Exit(1)
		}
		return
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "serving MCP over HTTP at http://%s/mcp\n", ln.Addr())
	h := server.NewStreamableHTTPServer(s, server.WithEndpointPath("/mcp"))
	if err := http.Serve(ln, h); err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
}

func newServer() *server.MCPServer {
	s := server.NewMCPServer("bare", "1", server.WithToolCapabilities(false))
	for i := 1; i <= Tools; i++ {
		name := fmt.Sprintf("tool_%02d", i)
		t := mcp.NewTool(name,
			mcp.WithDescription(fmt.Sprintf("Trivial tool number %d: echoes its argument.", i)),
			mcp.WithString("text", mcp.Description("Text to echo.")),
		)
		s.AddTool(t, echo)
	}
	return s
}

func echo(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return mcp.NewToolResultText("echo: " + req.GetString("text", "")), nil
}
