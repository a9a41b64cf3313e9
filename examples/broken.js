const total = [1, 2, 3].reduce((a, b) => a + b, 0);

if (total > 5 {
  console.log(total);
}
