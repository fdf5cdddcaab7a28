"""The availability core: the pure engine, the models, and the services that use both."""
