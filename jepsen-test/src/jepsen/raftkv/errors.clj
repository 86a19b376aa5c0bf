(ns jepsen.raftkv.errors
  "A summary of how the client operations ended: for each completion type (:ok, :fail, :info), how
  many ended with which error. It shows, for instance, that the nodes' 429 `overloaded` answers
  (admission control, definite) were recorded as :fail, and how many operations were left :info
  (may have happened) and why. It judges nothing: the workload's checkers do that; this is the
  table to read beside their verdict."
  (:require [jepsen.checker :as checker]
            [jepsen.history :as h]))

(defn error-key
  "A short name for what an operation ended with: the node's error code (\"overloaded\"), the
  keyword the client gave (:cas-mismatch), the HTTP status when the body had no code, or the first
  element of a vector error ([:open-session ...] -> :open-session)."
  [error]
  (cond
    (nil? error)                          nil
    (keyword? error)                      error
    (string? error)                       error
    (and (map? error) (:code error))      (:code error)
    (and (map? error) (:status error))    (str "HTTP " (:status error))
    (and (vector? error) (seq error))     (let [k (first error)]
                                            (if (or (keyword? k) (string? k)) k (pr-str k)))
    (map? error)                          (pr-str (first (keys error)))
    :else                                 (pr-str error)))

(defn summarize
  "Pure core of the checker: {:ok n, :fail {error-key n}, :info {error-key n}} over the client
  completions of history (a sequence of op maps)."
  [history]
  (reduce (fn [summary op]
            (case (:type op)
              :ok   (update summary :ok (fnil inc 0))
              (:fail :info) (update-in summary [(:type op) (or (error-key (:error op)) :none)] (fnil inc 0))
              summary))
          {}
          (filter #(and (integer? (:process %)) (#{:ok :fail :info} (:type %))) history)))

(defn checker
  "The summary as a checker result. Always :valid? true: it is a table, not a verdict."
  []
  (reify checker/Checker
    (check [_ _test history _opts]
      (assoc (summarize (h/client-ops history)) :valid? true))))
