// The seed's example job: ТестовоеФЗ(Число, ИмяФайла) writes a small file.
const { mkdir, writeFile } = require('node:fs/promises');
const path = require('node:path');
const { currentJob, Сообщить } = require('web-background-jobs');

exports.ТестовоеФЗ = async (number, fileName) => {
  const folder = path.resolve(process.env.WBJ_DEMO_OUTPUT ?? '.demo-output');
  // basename: a job parameter must not choose where on disk the file goes.
  const file = path.join(folder, path.basename(String(fileName)));
  await mkdir(folder, { recursive: true });
  await writeFile(file, `Background job ${currentJob().uuid}: number ${number}\n`);
  Сообщить(`Записан файл ${path.basename(file)}`);
  return file;
};
