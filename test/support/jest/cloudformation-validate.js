// What `require('@aws/cloudformation-validate')` gives a test file: the worker's one copy (see environment.js).
module.exports = globalThis.__keylessCloudformationValidate;
