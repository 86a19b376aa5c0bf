(ns jepsen.raftkv.outcome
  "What happened to a request, as a Jepsen outcome: pure functions, unit-tested without a cluster.

    200                                   :ok
    404 not_found on a read               :ok, value :absent (the key is absent; not nil, which
                                          Knossos would take as \"read nothing\")
    404 not_found on a cas                :fail (absent, so nothing was swapped)
    409 cas_mismatch on a cas             :fail (the current value differs)
    error body with \"definite\": true      :fail (certainly not applied)
    error body with \"definite\": false     :info (maybe applied)
    anything else on a write/cas          :info (we cannot know)
    connection refused, connect timeout,
      unknown host, no route              :fail (the request was never sent)
    request timeout, connection reset,
      any other I/O error after sending   :info
    any failure of a read                 :fail (reads change nothing, so a failed read is
                                          certainly not 'applied')

  session_expired, stale_session and outcome_unknown carry \"definite\": false, so they are :info
  like any other indefinite error."
  (:require [clojure.string :as str])
  (:import (java.io IOException)
           (java.net ConnectException NoRouteToHostException UnknownHostException)
           (java.net.http HttpConnectTimeoutException HttpTimeoutException)
           (java.nio.channels UnresolvedAddressException)))

(def absent
  "The value of a read of a key that does not exist. The registers start out absent, so the model
  is (knossos.model/cas-register absent). It must not be nil: Knossos treats a read of nil as a
  read that observed nothing, which would hide a stale read of a key that was already written."
  :absent)

(def idempotent-fs
  "Operations that change nothing. Whatever happens to them, they can be recorded as :fail: a read
  that did not return a value has no effect on the history's state."
  #{:read :read-all :final-read})

;; ---------------------------------------------------------------------------------------------
;; Pure mapping from responses and exceptions to outcomes

(defn parse-name
  "Register values are small integers, stored in raftkv as decimal strings. Turns a name back into
  a long; anything that is not a decimal integer is kept as-is (and will then trip the checker,
  which is what we want for garbage)."
  [name]
  (cond
    (nil? name)     nil
    (integer? name) (long name)
    (and (string? name) (re-matches #"-?\d{1,18}" name)) (Long/parseLong name)
    :else name))

(defn parse-id
  "Ids come back from GET /kv as JSON object keys (strings). Numeric ids become longs, so they
  compare equal to the integer keys of jepsen.independent."
  [id]
  (cond
    (integer? id) (long id)
    (and (string? id) (re-matches #"-?\d{1,18}" id)) (Long/parseLong id)
    (keyword? id) (parse-id (name id))
    :else id))

(defn compare-ids
  "Orders ids: numbers before strings, each in their natural order."
  [a b]
  (cond
    (and (number? a) (number? b)) (compare a b)
    (number? a) -1
    (number? b) 1
    :else (compare (str a) (str b))))

(defn normalize-map
  "Turns the body of GET /kv into a sorted map of id -> value. Accepts the forms a KV server may
  reasonably answer with:

    {\"1\": \"3\", \"2\": \"0\"}                      an object of id -> name
    [{\"id\": \"1\", \"name\": \"3\"}, ...]          an array of entries
    {\"entries\": <either of the above>}          (or any single-key wrapper around them)

  Returns nil if the body has none of these shapes."
  [body]
  (letfn [(entry? [e] (and (map? e) (contains? e "id")))
          (scalar? [v] (or (nil? v) (string? v) (number? v)))]
    (cond
      (and (sequential? body) (every? entry? body))
      (into (sorted-map-by compare-ids)
            (map (fn [e] [(parse-id (get e "id")) (parse-name (get e "name"))]))
            body)

      (and (map? body) (every? scalar? (vals body)))
      (into (sorted-map-by compare-ids)
            (map (fn [[k v]] [(parse-id k) (parse-name v)]))
            body)

      (and (map? body) (= 1 (count body)))
      (normalize-map (val (first body)))

      :else nil)))

(defn error-info
  "Extracts the error fields of a raftkv error body {\"error\": code, \"message\": text,
  \"definite\": bool}. Returns a map with :status, and :code, :message, :definite when present."
  [status body raw]
  (let [m (when (map? body) body)]
    (cond-> {:status status}
      (contains? m "error")    (assoc :code (get m "error"))
      (contains? m "message")  (assoc :message (get m "message"))
      (contains? m "definite") (assoc :definite (get m "definite"))
      (and (nil? m) (string? raw) (not (str/blank? raw)))
      (assoc :body (subs raw 0 (min 200 (count raw)))))))

(defn- error-outcome
  "An outcome for an error response (not one of the documented semantic answers)."
  [f status body raw]
  (let [err (error-info status body raw)]
    (cond
      (idempotent-fs f)        {:type :fail, :error err}
      (true? (:definite err))  {:type :fail, :error err}
      ; definite: false, or missing, or a body we could not parse: the command may have been
      ; applied.
      :else                    {:type :info, :error err})))

(defn- semantic?
  "Is this 404/409 the documented answer (error code `code`, or no error code at all), rather than
  another error sharing the status, like no_route (404) or stale_session (409)?"
  [body code]
  (let [c (when (map? body) (get body "error"))]
    (or (nil? c) (= code c))))

(defn response->outcome
  "Maps an HTTP response to a Jepsen outcome for an operation with the given :f. The response is
  {:status int, :body parsed-JSON-or-nil, :raw string}. Returns {:type .. } plus :value (for
  values learned from the response: reads) or :error. The caller merges this into the op."
  [f {:keys [status body raw]}]
  (case f
    :read
    (case (int status)
      200 (if (and (map? body) (contains? body "name"))
            {:type :ok, :value (parse-name (get body "name"))}
            {:type :fail, :error {:status 200, :malformed-body (str raw)}})
      404 (if (semantic? body "not_found")
            {:type :ok, :value absent}
            (error-outcome f status body raw))
      (error-outcome f status body raw))

    (:write :add)
    (case (int status)
      200 {:type :ok}
      (error-outcome f status body raw))

    :read-all
    ; GET /kv: one page of the map, {"kv": {id: name}, "next": id-or-null}, linearizable (ReadIndex
    ; at the leader). (A bare map of id -> name is taken as the whole map.)
    (case (int status)
      200 (if-let [m (normalize-map (if (and (map? body) (contains? body "kv")) (get body "kv") body))]
            (cond-> {:type :ok, :value m}
              (some? (get body "next")) (assoc :next (get body "next")))
            {:type :fail, :error {:status 200, :malformed-body (str raw)}})
      (error-outcome f status body raw))

    :cas
    (case (int status)
      200 {:type :ok}
      409 (if (semantic? body "cas_mismatch")
            {:type :fail, :error :cas-mismatch}
            (error-outcome f status body raw))
      404 (if (semantic? body "not_found")
            {:type :fail, :error :not-found}
            (error-outcome f status body raw))
      (error-outcome f status body raw))

    :final-read
    ; GET /debug/kv: a page of this node's own state machine,
    ; {"lastApplied": n, "kv": {id: name}, "next": id-or-null}.
    (case (int status)
      200 (if-let [m (and (map? body) (contains? body "kv") (normalize-map (get body "kv")))]
            (cond-> {:type :ok, :value m, :last-applied (get body "lastApplied")}
              (some? (get body "next")) (assoc :next (get body "next")))
            {:type :fail, :error {:status 200, :malformed-body (str raw)}})
      (error-outcome f status body raw))))

;; ---------------------------------------------------------------------------------------------
;; Whole-map reads, a page at a time

(def paginated-fs
  "Operations that read the whole map: GET /kv and GET /debug/kv answer a page at a time."
  #{:read-all :final-read})

(def page-limit
  "Ids per page of a whole-map read: the most a node serves in one page."
  10000)

(defn page-request
  "The request for the page of req (a whole-map read) that follows the id `after` (nil: the first)."
  [req after]
  (update req :path str "?limit=" page-limit (when after (str "&after=" after))))

(defn merge-pages
  "Adds the outcome of the next page to the read so far (nil before the first page). A failed page
  fails the read. Pages of a node's own state (/debug/kv) read at different lastApplied are not one
  state of that node: the read fails (a final read then tries again). A cursor that does not move
  forward fails it too, rather than loop. Pages of GET /kv are each linearizable on their own; for
  the grow-only set of the set workload, their union is as good as one read."
  [so-far page after]
  (cond
    (not= :ok (:type page))
    page

    (and (:next page) after (not (pos? (compare (str (:next page)) (str after)))))
    {:type :fail, :error {:cursor-did-not-advance [after (:next page)]}}

    (nil? so-far)
    page

    (not= (:last-applied so-far) (:last-applied page))
    {:type :fail, :error {:state-moved-during-scan [(:last-applied so-far) (:last-applied page)]}}

    :else
    (-> so-far
        (update :value into (:value page))
        (assoc :next (:next page)))))

(defn- causes
  "The exception and its chain of causes."
  [^Throwable e]
  (take-while some? (iterate #(.getCause ^Throwable %) e)))

(defn exception-class
  "Classifies a request exception. Returns [kind definite?] where definite? is true when the
  request certainly never reached the server, or nil if e is not a request failure we know how to
  interpret (then the caller should let it propagate)."
  [^Throwable e]
  (let [cs (causes e)
        any? (fn [klass] (some #(instance? klass %) cs))]
    (cond
      ; Never sent: the TCP connection was never established.
      (any? HttpConnectTimeoutException)  [:connect-timeout true]
      (any? ConnectException)             [:connection-refused true]
      (any? NoRouteToHostException)       [:no-route-to-host true]
      (any? UnresolvedAddressException)   [:unknown-host true]
      (any? UnknownHostException)         [:unknown-host true]
      ; Sent, but we don't know what happened.
      (any? HttpTimeoutException)         [:timeout false]
      (instance? IOException e)           [:io false]
      :else nil)))

(def unreachable-kinds
  "Request failures that mean the node could not be reached at all."
  #{:connect-timeout :connection-refused :no-route-to-host :unknown-host})

(defn unreachable?
  "Did this outcome fail because its node could not be reached (so nothing was sent)? Covers the
  op's own request ([kind message]) and the session it needed first ([:open-session kind message])."
  [{:keys [type error]}]
  (and (= :fail type)
       (vector? error)
       (let [[a b] error]
         (boolean (or (unreachable-kinds a)
                      (and (= :open-session a) (unreachable-kinds b)))))))

(defn exception->outcome
  "Maps an exception thrown while performing a request to an outcome for an op with the given :f,
  or nil if the exception is not an I/O failure (a bug in the client, which should crash loudly)."
  [f ^Throwable e]
  (when-let [[kind definite?] (exception-class e)]
    (let [err [kind (or (.getMessage e) (.getName (class e)))]]
      (cond
        (idempotent-fs f) {:type :fail, :error err}
        definite?         {:type :fail, :error err}
        :else             {:type :info, :error err}))))

;; ---------------------------------------------------------------------------------------------
;; Sessions (POST /sessions)

(def open-session-request
  "POST /sessions registers a client session; the answer is 201 {\"client_id\": id}."
  {:method "POST", :path "/sessions"})

(defn open-session-outcome
  "Maps the response to POST /sessions. Pure. Returns {:client-id id} on 201 with an id, else a
  :fail outcome: the op that needed the session was not sent at all."
  [{:keys [status body raw]}]
  (let [id (when (map? body) (get body "client_id"))]
    (if (and (= 201 status) (string? id) (not (str/blank? id)))
      {:client-id id}
      {:type :fail, :error [:open-session (error-info status body raw)]})))

(defn session-expired?
  "Does this outcome say the client's session is gone (so the next mutation must open another)?"
  [outcome]
  (= "session_expired" (get-in outcome [:error :code])))
