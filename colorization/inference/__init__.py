"""Using a trained network on a user's images, outside training and without Lightning: what a
network needs around it (:mod:`.spec`), the network from a checkpoint or an ONNX file
(:mod:`.network`), user colour hints (:mod:`.user_hints`), and one module per task that turns a
photo into the task's output (:mod:`.colorize`, :mod:`.segment`, :mod:`.restore`)."""
