// Package upstream is what the Tableau and Scalekit backends share about
// talking to their upstream over HTTP: how Tableau writes an error (REST
// JSON, REST XML, VizQL Data Service), which answers and failures are
// transient, how a call that may be repeated is tried again, and the time
// limits of a call. Tools never parse Tableau's answers themselves; they see
// a *backend.APIError or a *backend.UserError.
package upstream
