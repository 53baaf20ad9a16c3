# src/tools: rmqadmin and rmq-bench (installed), built on librmqclient.a.
