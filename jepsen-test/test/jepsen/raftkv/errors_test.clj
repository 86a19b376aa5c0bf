(ns jepsen.raftkv.errors-test
  (:require [clojure.test :refer [deftest is]]
            [jepsen.raftkv.errors :as errors]))

(deftest an-overloaded-answer-is-tallied-as-a-fail-under-its-code
  (let [history [{:process 0 :type :invoke :f :write}
                 {:process 0 :type :fail :f :write
                  :error {:status 429 :code "overloaded" :definite true}}
                 {:process 1 :type :invoke :f :write}
                 {:process 1 :type :info :f :write
                  :error {:status 504 :code "commit_timeout" :definite false}}
                 {:process 2 :type :ok :f :read}
                 {:process 2 :type :fail :f :cas :error :cas-mismatch}
                 {:process 3 :type :fail :f :read :error {:status 502}}
                 {:process 4 :type :fail :f :add :error [:open-session "x"]}
                 {:process :nemesis :type :info :f :start-partition}]]
    (is (= {:ok 1
            :fail {"overloaded" 1, :cas-mismatch 1, "HTTP 502" 1, :open-session 1}
            :info {"commit_timeout" 1}}
           (errors/summarize history)))))

(deftest error-keys-name-what-ended-the-operation
  (is (nil? (errors/error-key nil)))
  (is (= "overloaded" (errors/error-key {:status 429 :code "overloaded"})))
  (is (= "HTTP 500" (errors/error-key {:status 500})))
  (is (= :connect-timeout (errors/error-key [:connect-timeout "after 1000 ms"]))))
