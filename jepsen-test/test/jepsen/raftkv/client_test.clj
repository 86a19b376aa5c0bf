(ns jepsen.raftkv.client-test
  "The mapping from HTTP responses and exceptions to Jepsen outcomes: every status, body and
  exception class, for every kind of operation."
  (:require [clojure.test :refer [deftest is are testing]]
            [jepsen.client :as client]
            [jepsen.independent :as independent]
            [jepsen.raftkv [client :as c]
                           [http :as http]
                           [outcome :as outcome]])
  (:import (java.io EOFException IOException)
           (java.net ConnectException NoRouteToHostException SocketException UnknownHostException)
           (java.net.http HttpConnectTimeoutException HttpTimeoutException)
           (java.nio.channels ClosedChannelException UnresolvedAddressException)))

(defn resp
  "A response as request! returns it, from a status and a raw body."
  ([status] (resp status nil))
  ([status raw]
   {:status status, :raw raw, :body (http/read-json raw)}))

(defn err-body
  [code definite]
  (http/write-json (cond-> {"error" code, "message" (str code " happened")}
                    (some? definite) (assoc "definite" definite))))

(deftest read-outcomes
  (testing "200 with a name: the value, parsed back to an integer"
    (is (= {:type :ok, :value 3} (outcome/response->outcome :read (resp 200 "{\"id\":\"7\",\"name\":\"3\"}")))))
  (testing "a name that is not a decimal integer is kept, so the checker flags it"
    (is (= {:type :ok, :value "x"} (outcome/response->outcome :read (resp 200 "{\"id\":\"7\",\"name\":\"x\"}")))))
  (testing "404: the key is absent (a value, not nil: Knossos treats nil as read-nothing)"
    (is (= {:type :ok, :value :absent} (outcome/response->outcome :read (resp 404 (err-body "not_found" true)))))
    (is (= {:type :ok, :value :absent} (outcome/response->outcome :read (resp 404)))))
  (testing "a 404 that is not not_found (no_route) is a failed read, not an absent key"
    (is (= :fail (:type (outcome/response->outcome :read (resp 404 (err-body "no_route" true)))))))
  (testing "200 without a usable body: fail (a read changes nothing)"
    (is (= :fail (:type (outcome/response->outcome :read (resp 200 "garbage")))))
    (is (= :fail (:type (outcome/response->outcome :read (resp 200 "{\"id\":\"7\"}"))))))
  (testing "every error is :fail for a read, definite or not"
    (doseq [status [400 408 409 429 500 502 503 504]
            definite [true false nil]]
      (let [o (outcome/response->outcome :read (resp status (err-body "no_leader" definite)))]
        (is (= :fail (:type o)) (str status " " definite))
        (is (= status (-> o :error :status)))))
    (is (= :fail (:type (outcome/response->outcome :read (resp 503 "<html>oops</html>")))))))

(deftest write-outcomes
  (is (= {:type :ok} (outcome/response->outcome :write (resp 200 "{\"id\":\"1\",\"name\":\"2\"}"))))
  (is (= {:type :ok} (outcome/response->outcome :write (resp 200 ""))))
  (testing "definite errors are :fail, with the error's fields"
    (is (= {:type :fail
            :error {:status 503, :code "no_leader", :message "no_leader happened", :definite true}}
           (outcome/response->outcome :write (resp 503 (err-body "no_leader" true))))))
  (testing "429 overloaded (refused before anything was proposed) is definite: :fail, for every mutation"
    (doseq [f [:write :add :cas]]
      (is (= {:type :fail
              :error {:status 429, :code "overloaded", :message "overloaded happened", :definite true}}
             (outcome/response->outcome f (resp 429 (err-body "overloaded" true))))
          (str f)))
    (is (= :fail (:type (outcome/open-session-outcome (resp 429 (err-body "overloaded" true)))))))
  (testing "indefinite errors are :info"
    (is (= {:type :info
            :error {:status 504, :code "timeout", :message "timeout happened", :definite false}}
           (outcome/response->outcome :write (resp 504 (err-body "timeout" false))))))
  (testing "an error without a definite flag, or without a JSON body, may have been applied: :info"
    (is (= :info (:type (outcome/response->outcome :write (resp 500 (err-body "internal" nil))))))
    (is (= :info (:type (outcome/response->outcome :write (resp 502 "Bad Gateway")))))
    (is (= "Bad Gateway" (-> (outcome/response->outcome :write (resp 502 "Bad Gateway")) :error :body)))
    (is (= :info (:type (outcome/response->outcome :write (resp 500))))))
  (testing "definite must be the boolean true to count as definite"
    (is (= :info (:type (outcome/response->outcome :write (resp 503 "{\"error\":\"x\",\"definite\":\"true\"}"))))))
  (testing "a 404 or 409 on a write is just an error, classified by its body"
    (is (= :fail (:type (outcome/response->outcome :write (resp 404 (err-body "no_route" true))))))
    (is (= :info (:type (outcome/response->outcome :write (resp 409 (err-body "conflict" false))))))))

(deftest cas-outcomes
  (is (= {:type :ok} (outcome/response->outcome :cas (resp 200 "{\"id\":\"1\",\"name\":\"4\"}"))))
  (testing "409: the current value differs, nothing swapped"
    (is (= {:type :fail, :error :cas-mismatch}
           (outcome/response->outcome :cas (resp 409 (err-body "cas_mismatch" true)))))
    (is (= {:type :fail, :error :cas-mismatch} (outcome/response->outcome :cas (resp 409)))))
  (testing "other 409s and 404s are errors like any other"
    (is (= {:type :fail, :error {:status 409, :code "stale_session", :message "stale_session happened", :definite true}}
           (outcome/response->outcome :cas (resp 409 (err-body "stale_session" true)))))
    (is (= :fail (:type (outcome/response->outcome :cas (resp 404 (err-body "no_route" true))))))
    (is (= :info (:type (outcome/response->outcome :cas (resp 404 (err-body "no_route" false)))))))
  (testing "404: absent, nothing swapped"
    (is (= {:type :fail, :error :not-found}
           (outcome/response->outcome :cas (resp 404 (err-body "not_found" true))))))
  (testing "other errors by their definite flag"
    (is (= :fail (:type (outcome/response->outcome :cas (resp 503 (err-body "no_leader" true))))))
    (is (= :info (:type (outcome/response->outcome :cas (resp 503 (err-body "lost_leadership" false))))))
    (is (= :info (:type (outcome/response->outcome :cas (resp 500 "boom")))))))

(deftest session-outcomes
  (testing "201 with a client_id opens the session"
    (is (= {:client-id "17"} (outcome/open-session-outcome (resp 201 "{\"client_id\":\"17\"}")))))
  (testing "anything else is :fail: the op that needed the session was never sent"
    (is (= :fail (:type (outcome/open-session-outcome (resp 503 (err-body "no_leader" true))))))
    (is (= :fail (:type (outcome/open-session-outcome (resp 504 (err-body "commit_timeout" false))))))
    (is (= :fail (:type (outcome/open-session-outcome (resp 201 "{}")))))
    (is (= :fail (:type (outcome/open-session-outcome (resp 201 "garbage"))))))
  (testing "session_expired, stale_session and outcome_unknown say definite: false, so :info"
    (doseq [[status code] [[409 "session_expired"] [409 "stale_session"] [503 "outcome_unknown"]]
            f [:write :cas]]
      (is (= :info (:type (outcome/response->outcome f (resp status (err-body code false)))))
          (str f " " code))))
  (testing "only session_expired makes the client open a new session"
    (is (outcome/session-expired? (outcome/response->outcome :write (resp 409 (err-body "session_expired" false)))))
    (is (not (outcome/session-expired? (outcome/response->outcome :write (resp 409 (err-body "stale_session" false))))))
    (is (not (outcome/session-expired? {:type :info, :error [:timeout "x"]})))))

(deftest invoke-opens-a-session-before-the-first-mutation
  (let [sent    (atom [])
        answers (atom [(resp 503 (err-body "no_leader" true))            ; opening fails: op 1 :fail
                       (resp 201 "{\"client_id\":\"5\"}")                ; op 2 opens a session
                       (resp 200 "{\"id\":\"1\",\"name\":\"2\"}")
                       (resp 409 (err-body "session_expired" false))     ; op 3: the session expired
                       (resp 201 "{\"client_id\":\"9\"}")                ; op 4 opens another
                       (resp 200 "{\"id\":\"1\",\"name\":\"4\"}")])
        cl      (c/map->Client {:node "n1", :http nil, :client-id (atom nil), :seq-counter (atom 0)
                                :opts {:request-timeout-ms 1000}})
        op      (fn [v] {:type :invoke, :f :write, :process 0, :value (independent/tuple 1 v)})]
    (with-redefs [http/request! (fn [_ _ req headers _]
                               (swap! sent conj [(:path req) headers])
                               (let [answer (first @answers)]
                                 (swap! answers rest)
                                 answer))]
      (is (= :fail (:type (client/invoke! cl nil (op 1)))))
      (is (= :ok (:type (client/invoke! cl nil (op 2)))))
      (is (= :info (:type (client/invoke! cl nil (op 3)))))
      (is (= :ok (:type (client/invoke! cl nil (op 4))))))
    (is (= [["/sessions" {}]
            ["/sessions" {}]
            ["/kv/1" {"X-Client-Id" "5", "X-Client-Seq" 1}]
            ["/kv/1" {"X-Client-Id" "5", "X-Client-Seq" 2}]
            ["/sessions" {}]
            ["/kv/1" {"X-Client-Id" "9", "X-Client-Seq" 1}]]
           @sent))))

(deftest final-read-outcomes
  (testing "a node's own state machine, as GET /debug/kv answers"
    (is (= {:type :ok, :value {0 1, 1 3, 10 4}, :last-applied 17}
           (outcome/response->outcome :final-read
                                (resp 200 "{\"lastApplied\":17,\"kv\":{\"10\":\"4\",\"0\":\"1\",\"1\":\"3\"}}")))))
  (testing "the empty map"
    (is (= {:type :ok, :value {}, :last-applied 0}
           (outcome/response->outcome :final-read (resp 200 "{\"lastApplied\":0,\"kv\":{}}")))))
  (testing "the map is sorted by id, numbers first"
    (is (= [1 2 10 "a"]
           (keys (:value (outcome/response->outcome :final-read
                                              (resp 200 (str "{\"lastApplied\":4,\"kv\":"
                                                             "{\"a\":\"1\",\"10\":\"1\",\"2\":\"1\",\"1\":\"1\"}}"))))))))
  (testing "a page that is not the last names the next cursor"
    (is (= {:type :ok, :value {1 3}, :last-applied 9, :next "1"}
           (outcome/response->outcome :final-read (resp 200 "{\"lastApplied\":9,\"kv\":{\"1\":\"3\"},\"next\":\"1\"}")))))
  (testing "a whole-map answer without the node-local wrapper is not a local read: it fails"
    (is (= :fail (:type (outcome/response->outcome :final-read (resp 200 "{\"10\":\"4\"}"))))))
  (testing "anything else fails (it is a read)"
    (is (= :fail (:type (outcome/response->outcome :final-read (resp 200 "[1,2]")))))
    (is (= :fail (:type (outcome/response->outcome :final-read (resp 503 (err-body "no_leader" false))))))))

(deftest exception-outcomes
  (testing "never sent: :fail for everything"
    (doseq [e [(ConnectException. "Connection refused")
               (ConnectException.)
               (HttpConnectTimeoutException. "HTTP connect timed out")
               (NoRouteToHostException. "No route to host")
               (UnknownHostException. "n9")
               (IOException. "wrapped" (UnresolvedAddressException.))
               (IOException. "wrapped" (ConnectException. "Connection refused"))]
            f [:read :write :cas :final-read]]
      (is (= :fail (:type (outcome/exception->outcome f e))) (str f " " e))))
  (testing "error kinds"
    (is (= :connection-refused (first (:error (outcome/exception->outcome :write (ConnectException. "Connection refused"))))))
    (is (= :connect-timeout (first (:error (outcome/exception->outcome :write (HttpConnectTimeoutException. "t"))))))
    (is (= :timeout (first (:error (outcome/exception->outcome :write (HttpTimeoutException. "request timed out"))))))
    (is (= ["java.net.ConnectException"]
           (rest (:error (outcome/exception->outcome :write (ConnectException.)))))))
  (testing "maybe sent: :info for writes and cas, :fail for reads"
    (doseq [e [(HttpTimeoutException. "request timed out")
               (IOException. "Connection reset")
               (SocketException. "Connection reset by peer")
               (EOFException. "EOF reached while reading")
               (IOException. "HTTP/1.1 header parser received no bytes")
               (ClosedChannelException.)
               (IOException. "wrapped" (ClosedChannelException.))]]
      (is (= :info (:type (outcome/exception->outcome :write e))) (str e))
      (is (= :info (:type (outcome/exception->outcome :cas e))) (str e))
      (is (= :fail (:type (outcome/exception->outcome :read e))) (str e))
      (is (= :fail (:type (outcome/exception->outcome :final-read e))) (str e))))
  (testing "not an I/O failure: nil, so the client lets it crash loudly"
    (is (nil? (outcome/exception->outcome :write (NullPointerException.))))
    (is (nil? (outcome/exception->outcome :read (IllegalStateException. "bug"))))))

(deftest requests
  (is (= {:method "GET", :path "/kv/3"} (http/op->request :read 3 nil)))
  (is (= {:method "PUT", :path "/kv/3", :body {"name" "4"}, :mutation? true}
         (http/op->request :write 3 4)))
  (is (= {:method "POST", :path "/kv/3/cas", :body {"expected" "1", "name" "2"}, :mutation? true}
         (http/op->request :cas 3 [1 2])))
  (is (= {:method "GET", :path "/debug/kv"} (http/op->request :final-read nil nil))))

(deftest whole-map-reads-come-in-pages
  (testing "each page asks for the most a node serves, after the previous page's last id"
    (is (= {:method "GET", :path "/kv?limit=10000"} (outcome/page-request (http/op->request :read-all nil nil) nil)))
    (is (= {:method "GET", :path "/debug/kv?limit=10000&after=17"}
           (outcome/page-request (http/op->request :final-read nil nil) "17"))))
  (let [page (fn [m last-applied nxt] (cond-> {:type :ok, :value (into (sorted-map) m), :last-applied last-applied}
                                        nxt (assoc :next nxt)))]
    (testing "pages add up to the whole map, and the last page's next ends the read"
      (let [two (outcome/merge-pages (page {"a" 1} 5 "a") (page {"b" 2} 5 nil) "a")]
        (is (= {"a" 1, "b" 2} (:value two)))
        (is (nil? (:next two)))
        (is (= :ok (:type two)))))
    (testing "a failed page fails the read"
      (is (= :fail (:type (outcome/merge-pages (page {"a" 1} 5 "a") {:type :fail, :error :x} "a")))))
    (testing "pages of a node's own state read at different lastApplied are not one state"
      (is (= {:state-moved-during-scan [5 6]}
             (:error (outcome/merge-pages (page {"a" 1} 5 "a") (page {"b" 2} 6 nil) "a")))))
    (testing "a cursor that does not move forward fails the read instead of looping"
      (is (= :fail (:type (outcome/merge-pages (page {"a" 1} 5 "b") (page {"a" 1} 5 "b") "b")))))))

(deftest catching-up
  (testing "a node's local map counts only once it has applied what its leader committed"
    (is (true? (c/caught-up? 12 12)))
    (is (true? (c/caught-up? 13 12)))
    (is (false? (c/caught-up? 11 12)))
    (is (false? (c/caught-up? 12 nil)))
    (is (false? (c/caught-up? nil 12)))))

(deftest settled-commit-index
  (let [leader {"role" "leader", "term" 3, "commitIndex" 310, "lastIndex" 310, "lastLogTerm" 3}]
    (testing "a leader whose whole log is committed in its own term has a final commit index"
      (is (= 310 (c/settled-commit leader))))
    (testing "entries still uncommitted: the commit index may grow (a reading at 306 while 310 was
             still to come made the convergence check compare nodes at different log points)"
      (is (nil? (c/settled-commit (assoc leader "commitIndex" 306)))))
    (testing "a new leader whose own first entry is not yet in its log or committed"
      (is (nil? (c/settled-commit (assoc leader "term" 4)))))
    (testing "not a leader, or no answer"
      (is (nil? (c/settled-commit (assoc leader "role" "follower"))))
      (is (nil? (c/settled-commit nil))))))

(deftest parse-helpers
  (are [in out] (= out (outcome/parse-name in))
    "0" 0, "42" 42, "-1" -1, nil nil, 7 7, "x" "x", "1.5" "1.5", "" "")
  (are [in out] (= out (outcome/parse-id in))
    "0" 0, "17" 17, "abc" "abc", 3 3)
  (is (http/leader-status? {"role" "LEADER"}))
  (is (http/leader-status? {"role" "leader"}))
  (is (not (http/leader-status? {"role" "follower"})))
  (is (not (http/leader-status? {}))))

(deftest unreachable-node
  (testing "a real request to a closed port maps to :fail (connection refused)"
    (let [http (http/http-client {:connect-timeout-ms 500})]
      (try
        (let [e (try (http/request! http "http://127.0.0.1:1" {:method "GET", :path "/kv/1"} {} 1000)
                     nil
                     (catch Exception e e))]
          (is (some? e))
          (is (= :fail (:type (outcome/exception->outcome :write e)))))
        (finally (http/close-http! http))))))

(deftest json-bodies
  (testing "what the API sends, read as Clojure data with string keys and longs"
    (are [s v] (= v (http/read-json s))
      "{}"                                             {}
      "[1, 2.5, null, true]"                           [1 2.5 nil true]
      "{\"id\":\"1\",\"name\":\"3\"}"                 {"id" "1", "name" "3"}
      "{\"lastApplied\":7,\"kv\":{\"0\":\"4\"}}"       {"lastApplied" 7, "kv" {"0" "4"}}
      "12345678901234567890"                           12345678901234567890N)
    (is (instance? Long (http/read-json "-12"))))
  (testing "anything that is not one JSON document is no body at all"
    (doseq [s [nil "" "   " "{" "[1," "{\"a\" 1}" "nul" "1 2" "\"abc" "<html>"]]
      (is (nil? (http/read-json s)) (pr-str s))))
  (testing "request bodies, and a round trip"
    (is (= "{\"name\":\"3\"}" (http/write-json {"name" "3"})))
    (is (= "{\"expected\":\"1\"}" (http/write-json {:expected "1"})))
    (let [v {"a" [1 2 {"b" "c\td"}], "e" nil, "f" false, "g" -3}]
      (is (= v (http/read-json (http/write-json v)))))))

(deftest unreachable-nodes
  (testing "a failure to reach the node, for the op itself or for the session it needed first"
    (is (outcome/unreachable? (outcome/exception->outcome :write (ConnectException. "Connection refused"))))
    (is (outcome/unreachable? (outcome/exception->outcome :read (HttpConnectTimeoutException. "t"))))
    (is (outcome/unreachable? {:type :fail, :error [:open-session :connection-refused "x"]})))
  (testing "anything else is not: the node answered, or the request was sent"
    (is (not (outcome/unreachable? (outcome/exception->outcome :write (HttpTimeoutException. "request timed out")))))
    (is (not (outcome/unreachable? (outcome/exception->outcome :read (HttpTimeoutException. "request timed out")))))
    (is (not (outcome/unreachable? {:type :fail, :error [:open-session {:status 503, :code "no_leader"}]})))
    (is (not (outcome/unreachable? {:type :fail, :error :cas-mismatch})))
    (is (not (outcome/unreachable? {:type :ok})))))
