package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"time"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"

	"example.com/goapi/internal/buildinfo"
	"example.com/goapi/internal/metrics"
	"example.com/goapi/internal/store"
)

// maxItemBytes bounds the body of a PUT request.
const maxItemBytes = 64 << 10

type handlers struct {
	items   store.Store
	metrics *metrics.Registry
	logger  *zap.Logger
}

type errorBody struct {
	Error string `json:"error"`
}

type itemRequest struct {
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
}

func (h *handlers) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := h.items.Ping(ctx); err != nil {
		h.logger.Warn("health check failed", zap.Error(err))
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "store unavailable: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *handlers) version(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{
		"version": buildinfo.Version,
		"go":      runtime.Version(),
	})
}

func (h *handlers) listItems(w http.ResponseWriter, r *http.Request) {
	items, err := h.items.List(r.Context())
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, items)
}

func (h *handlers) getItem(w http.ResponseWriter, r *http.Request) {
	item, err := h.items.Get(r.Context(), chi.URLParam(r, "id"))
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, errorBody{Error: err.Error()})
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, item)
}

func (h *handlers) putItem(w http.ResponseWriter, r *http.Request) {
	var request itemRequest
	decoder := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxItemBytes))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&request); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "invalid JSON body: " + err.Error()})
		return
	}
	if err := validateItem(request); err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: err.Error()})
		return
	}
	item, err := h.items.Put(r.Context(), store.Item{
		ID:       chi.URLParam(r, "id"),
		Name:     request.Name,
		Quantity: request.Quantity,
	})
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.metrics.ItemsWritten.Inc()
	writeJSON(w, http.StatusOK, item)
}

func (h *handlers) deleteItem(w http.ResponseWriter, r *http.Request) {
	err := h.items.Delete(r.Context(), chi.URLParam(r, "id"))
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, errorBody{Error: err.Error()})
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.metrics.ItemsDeleted.Inc()
	w.WriteHeader(http.StatusNoContent)
}

func validateItem(request itemRequest) error {
	switch {
	case request.Name == "":
		return errors.New("name is empty")
	case len(request.Name) > 200:
		return fmt.Errorf("name has %d bytes, expected at most 200", len(request.Name))
	case request.Quantity < 0:
		return fmt.Errorf("quantity is %d, expected 0 or more", request.Quantity)
	}
	return nil
}

// internalError logs err with the request ID and responds 500 without details.
func (h *handlers) internalError(w http.ResponseWriter, r *http.Request, err error) {
	h.logger.Error("request failed",
		zap.String("request_id", middlewareRequestID(r)),
		zap.String("path", r.URL.Path),
		zap.Error(err))
	writeJSON(w, http.StatusInternalServerError, errorBody{Error: "internal error"})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
