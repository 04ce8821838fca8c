package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"example.com/goapi/internal/metrics"
	"example.com/goapi/internal/store"
)

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	server := httptest.NewServer(NewRouter(store.NewMemory(), metrics.NewRegistry(), zap.NewNop()))
	t.Cleanup(server.Close)
	return server
}

func request(t *testing.T, method, url, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	response, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { response.Body.Close() })
	return response
}

func TestPutThenGetItem(t *testing.T) {
	server := newTestServer(t)
	put := request(t, http.MethodPut, server.URL+"/v1/items/bolt", `{"name":"M6 bolt","quantity":40}`)
	if put.StatusCode != http.StatusOK {
		t.Fatalf("PUT status = %d, want 200", put.StatusCode)
	}
	get := request(t, http.MethodGet, server.URL+"/v1/items/bolt", "")
	if get.StatusCode != http.StatusOK {
		t.Fatalf("GET status = %d, want 200", get.StatusCode)
	}
	var item store.Item
	if err := json.NewDecoder(get.Body).Decode(&item); err != nil {
		t.Fatal(err)
	}
	if item.Name != "M6 bolt" {
		t.Errorf("name = %q, want %q", item.Name, "M6 bolt")
	}
	if item.Quantity != 40 {
		t.Errorf("quantity = %d, want 40", item.Quantity)
	}
}

func TestPutRejectsInvalidItems(t *testing.T) {
	server := newTestServer(t)
	cases := map[string]struct {
		body string
		want int
	}{
		"malformed JSON":    {`{"name":`, http.StatusBadRequest},
		"unknown field":     {`{"name":"x","colour":"red"}`, http.StatusBadRequest},
		"empty name":        {`{"name":"","quantity":1}`, http.StatusUnprocessableEntity},
		"negative quantity": {`{"name":"x","quantity":-1}`, http.StatusUnprocessableEntity},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			response := request(t, http.MethodPut, server.URL+"/v1/items/x", tc.body)
			if response.StatusCode != tc.want {
				t.Errorf("status = %d, want %d", response.StatusCode, tc.want)
			}
		})
	}
}

func TestMissingItemIsNotFound(t *testing.T) {
	server := newTestServer(t)
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		response := request(t, method, server.URL+"/v1/items/none", "")
		if response.StatusCode != http.StatusNotFound {
			t.Errorf("%s status = %d, want 404", method, response.StatusCode)
		}
	}
}

func TestMetricsCountRoutePattern(t *testing.T) {
	server := newTestServer(t)
	request(t, http.MethodGet, server.URL+"/v1/items/a", "")
	response := request(t, http.MethodGet, server.URL+"/metrics", "")
	var text strings.Builder
	buffer := make([]byte, 4096)
	for {
		n, err := response.Body.Read(buffer)
		text.Write(buffer[:n])
		if err != nil {
			break
		}
	}
	want := `goapi_http_requests_total{code="404",method="GET",route="/v1/items/{id}"} 1`
	if !strings.Contains(text.String(), want) {
		t.Errorf("metrics output has no line %q", want)
	}
}
